package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
)

// OGC API - Features (Part 1 Core, Part 2 CRS by reference) under /ogc:
// one more front on the same handlers. A collection's items are what its
// REST endpoint answers the caller (access, published view, budget and
// audit included), paged and, when asked, in British National Grid.

const ogcPath = "/ogc"

// The coordinate reference systems served.
const (
	crs84  = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	crsBNG = "http://www.opengis.net/def/crs/EPSG/0/27700"
)

// Paging of items.
const (
	ogcDefaultLimit = 1000
	ogcMaxLimit     = 10000
)

var ogcConformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
}

// ogcParams are the OGC query parameters of items; the others go to the
// collection's own endpoint (the hotspot parameters).
var ogcParams = []string{"limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "f"}

type ogcLink struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

func (s *Server) ogcRoutes() []route {
	return []route{
		{method: http.MethodGet, path: ogcPath, perm: auth.ViewReference, handler: s.ogcLanding},
		{method: http.MethodGet, path: ogcPath + "/conformance", perm: auth.ViewReference, handler: s.ogcConformanceList},
		{method: http.MethodGet, path: ogcPath + "/collections", perm: auth.ViewReference, handler: s.ogcCollectionList},
		{method: http.MethodGet, path: ogcPath + "/collections/:collection", perm: auth.ViewReference, handler: s.ogcCollectionOne},
		{method: http.MethodGet, path: ogcPath + "/collections/:collection/items", perm: auth.ViewReference, handler: s.ogcItems},
		{method: http.MethodGet, path: ogcPath + "/collections/:collection/items/:featureId", perm: auth.ViewReference, handler: s.ogcItem},
	}
}

// base is the scheme and host the caller reached the server at.
func base(c echo.Context) string { return c.Scheme() + "://" + c.Request().Host }

func (s *Server) ogcLanding(c echo.Context) error {
	b := base(c) + ogcPath
	return c.JSON(http.StatusOK, map[string]any{
		"title":       "hexwatch",
		"description": "Multi-agency hotspots of county lines exploitation, as OGC API - Features; access as in the REST API",
		"links": []ogcLink{
			{Href: b, Rel: "self", Type: echo.MIMEApplicationJSON, Title: "this document"},
			{Href: base(c) + "/api/openapi.yaml", Rel: "service-desc", Type: "application/vnd.oai.openapi;version=3.0", Title: "the API definition"},
			{Href: base(c) + "/api/openapi.yaml", Rel: "service-doc", Type: "text/plain", Title: "the API definition, to read"},
			{Href: b + "/conformance", Rel: "conformance", Type: echo.MIMEApplicationJSON, Title: "conformance classes"},
			{Href: b + "/collections", Rel: "data", Type: echo.MIMEApplicationJSON, Title: "the collections"},
		},
	})
}

func (s *Server) ogcConformanceList(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"conformsTo": ogcConformance})
}

// ogcCollection is a collection and the endpoint that answers its items.
type ogcCollection struct {
	id, title, description string
	// items answers the collection's features as a GeoJSON FeatureCollection.
	items echo.HandlerFunc
	// bbox: items takes a bbox (CRS84) of its own, so that the published
	// view applies its rules to it; otherwise the features are filtered here.
	bbox bool
	// passes are the collection's own query parameters.
	passes []string
}

// ogcCollections are the collections the caller may read.
func (s *Server) ogcCollections(c echo.Context) ([]ogcCollection, error) {
	p := principal(c)
	var out []ogcCollection
	if p.Can(auth.ViewHotspots) {
		d := "live hotspots: H3 cells with their time-decayed score, Gi* and trend"
		if !p.Can(auth.ReadAllReports) {
			d = "hotspots of the weekly published release (the published view)"
		}
		out = append(out, ogcCollection{id: "hotspots", title: "Hotspots", description: d + "; the hotspot parameters (res, window, half_life, categories, ...) as query parameters",
			items: s.listHotspots, bbox: true, passes: slices.DeleteFunc(slices.Clone(hotspot.ParamNames), func(n string) bool { return n == "bbox" })})
	}
	ls, err := s.db.Locations(c.Request().Context(), actionsAgency(p))
	if err != nil {
		return nil, err
	}
	if len(ls) > 0 {
		out = append(out, ogcCollection{id: "locations", title: "Locations of concern", description: "locations of concern agreed at multi-agency meetings, with their actions' state",
			items: s.listLocations})
	}
	return out, nil
}

func (s *Server) findCollection(c echo.Context) (ogcCollection, error) {
	cs, err := s.ogcCollections(c)
	if err != nil {
		return ogcCollection{}, err
	}
	for _, col := range cs {
		if col.id == c.Param("collection") {
			return col, nil
		}
	}
	return ogcCollection{}, newProblem(http.StatusNotFound, "no collection "+strconv.Quote(c.Param("collection"))+" for you: GET /ogc/collections lists yours")
}

func (s *Server) collectionJSON(c echo.Context, col ogcCollection) map[string]any {
	b := base(c) + ogcPath + "/collections/" + col.id
	bound := s.validator.Area.Shape.Bound()
	return map[string]any{
		"id": col.id, "title": col.title, "description": col.description, "itemType": "feature",
		"links": []ogcLink{
			{Href: b, Rel: "self", Type: echo.MIMEApplicationJSON},
			{Href: b + "/items", Rel: "items", Type: mimeGeoJSON, Title: col.title},
		},
		"extent": map[string]any{
			"spatial":  map[string]any{"bbox": [][]float64{{bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]}}, "crs": crs84},
			"temporal": map[string]any{"interval": [][]*string{{nil, nil}}, "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
		},
		"crs":        []string{crs84, crsBNG},
		"storageCrs": crs84,
	}
}

func (s *Server) ogcCollectionList(c echo.Context) error {
	cs, err := s.ogcCollections(c)
	if err != nil {
		return err
	}
	list := make([]map[string]any, len(cs))
	for i, col := range cs {
		list[i] = s.collectionJSON(c, col)
	}
	b := base(c) + ogcPath + "/collections"
	return c.JSON(http.StatusOK, map[string]any{
		"links":       []ogcLink{{Href: b, Rel: "self", Type: echo.MIMEApplicationJSON}},
		"collections": list,
		"crs":         []string{crs84, crsBNG},
	})
}

func (s *Server) ogcCollectionOne(c echo.Context) error {
	col, err := s.findCollection(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.collectionJSON(c, col))
}

// itemsQuery is what an items request asks.
type itemsQuery struct {
	limit, offset int
	bng           bool
	bbox          *orb.Bound
	inner         url.Values
}

func (s *Server) parseItems(c echo.Context, col ogcCollection) (itemsQuery, error) {
	q := itemsQuery{limit: ogcDefaultLimit, inner: url.Values{}}
	v := c.QueryParams()
	var errs []FieldError
	for k := range v {
		if !slices.Contains(ogcParams, k) && !slices.Contains(col.passes, k) {
			errs = append(errs, FieldError{Field: k, Message: "unknown parameter of " + col.id + "; see /api/openapi.yaml"})
		}
	}
	if n := v.Get("limit"); n != "" {
		l, err := strconv.Atoi(n)
		if err != nil || l < 1 || l > ogcMaxLimit {
			errs = append(errs, FieldError{Field: "limit", Message: fmt.Sprintf("must be 1 to %d (default %d)", ogcMaxLimit, ogcDefaultLimit)})
		}
		q.limit = l
	}
	if n := v.Get("offset"); n != "" {
		o, err := strconv.Atoi(n)
		if err != nil || o < 0 {
			errs = append(errs, FieldError{Field: "offset", Message: "must be a whole number, 0 or more"})
		}
		q.offset = o
	}
	switch v.Get("crs") {
	case "", crs84:
	case crsBNG:
		q.bng = true
	default:
		errs = append(errs, FieldError{Field: "crs", Message: "must be " + crs84 + " or " + crsBNG})
	}
	if v.Get("datetime") != "" {
		errs = append(errs, FieldError{Field: "datetime", Message: "the features of " + col.id + " have no time of their own" + map[bool]string{true: "; hotspots take as_of and window", false: ""}[col.id == "hotspots"]})
	}
	if raw := v.Get("bbox"); raw != "" {
		b, err := s.ogcBBox(c, raw, v.Get("bbox-crs"))
		if err != nil {
			errs = append(errs, *err)
		} else {
			q.bbox = &b
		}
	} else if v.Get("bbox-crs") != "" {
		errs = append(errs, FieldError{Field: "bbox-crs", Message: "only with bbox"})
	}
	if errs != nil {
		return q, badRequest("the items query is not valid", errs...)
	}
	for _, k := range col.passes {
		if x := v.Get(k); x != "" {
			q.inner.Set(k, x)
		}
	}
	if q.bbox != nil && col.bbox {
		q.inner.Set("bbox", fmt.Sprintf("%v,%v,%v,%v", q.bbox.Min[0], q.bbox.Min[1], q.bbox.Max[0], q.bbox.Max[1]))
	}
	return q, nil
}

// ogcBBox reads a bbox in CRS84 or, with bbox-crs, British National Grid
// (transformed to WGS84 by PostGIS, its edges followed).
func (s *Server) ogcBBox(c echo.Context, raw, crs string) (orb.Bound, *FieldError) {
	parts := strings.Split(raw, ",")
	var x [4]float64
	bad := &FieldError{Field: "bbox", Message: "must be minx,miny,maxx,maxy"}
	if len(parts) != 4 {
		return orb.Bound{}, bad
	}
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return orb.Bound{}, bad
		}
		x[i] = f
	}
	if x[0] >= x[2] || x[1] >= x[3] {
		return orb.Bound{}, &FieldError{Field: "bbox", Message: "min must be below max"}
	}
	switch crs {
	case "", crs84:
	case crsBNG:
		b, err := s.db.BNGBoxToWGS84(c.Request().Context(), x[0], x[1], x[2], x[3])
		if err != nil {
			return orb.Bound{}, &FieldError{Field: "bbox", Message: "not a British National Grid box"}
		}
		x = b
	default:
		return orb.Bound{}, &FieldError{Field: "bbox-crs", Message: "must be " + crs84 + " or " + crsBNG}
	}
	return orb.Bound{Min: orb.Point{x[0], x[1]}, Max: orb.Point{x[2], x[3]}}, nil
}

// captured is a response written into memory.
type captured struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *captured) Header() http.Header { return w.header }
func (w *captured) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *captured) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// features are the features the collection's endpoint answers the caller
// with query q, filtered to bbox when the endpoint takes none.
func (s *Server) features(c echo.Context, col ogcCollection, q itemsQuery) ([]json.RawMessage, error) {
	req := c.Request().Clone(c.Request().Context())
	req.URL.RawQuery = q.inner.Encode()
	req.Header.Del("If-None-Match")
	req.Header.Del(echo.HeaderAcceptEncoding)
	w := &captured{header: http.Header{}}
	ic := s.echo.NewContext(req, w)
	ic.Set(principalKey, principal(c))
	ic.Set(requestIDKey, RequestID(c))
	if err := col.items(ic); err != nil {
		return nil, err
	}
	if w.status != http.StatusOK {
		return nil, fmt.Errorf("ogc: %s answered %d", col.id, w.status)
	}
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(w.body.Bytes(), &fc); err != nil {
		return nil, err
	}
	if q.bbox == nil || col.bbox {
		return fc.Features, nil
	}
	kept := fc.Features[:0]
	for _, raw := range fc.Features {
		f, err := geojson.UnmarshalFeature(raw)
		if err != nil {
			return nil, err
		}
		if f.Geometry != nil && f.Geometry.Bound().Intersects(*q.bbox) {
			kept = append(kept, raw)
		}
	}
	return kept, nil
}

// inBNG is the features with their geometries in British National Grid.
func (s *Server) inBNG(c echo.Context, fs []json.RawMessage) ([]json.RawMessage, error) {
	members := make([]map[string]json.RawMessage, len(fs))
	geoms := make([]string, len(fs))
	for i, raw := range fs {
		if err := json.Unmarshal(raw, &members[i]); err != nil {
			return nil, err
		}
		geoms[i] = string(members[i]["geometry"])
	}
	out, err := s.db.ToBNG(c.Request().Context(), geoms)
	if err != nil {
		return nil, err
	}
	for i := range members {
		members[i]["geometry"] = json.RawMessage(out[i])
		b, err := json.Marshal(members[i])
		if err != nil {
			return nil, err
		}
		fs[i] = b
	}
	return fs, nil
}

// collectionItems are the collection of the request, its query, and all
// the features that its endpoint answers the caller.
func (s *Server) collectionItems(c echo.Context) (ogcCollection, itemsQuery, []json.RawMessage, error) {
	col, err := s.findCollection(c)
	if err != nil {
		return col, itemsQuery{}, nil, err
	}
	q, err := s.parseItems(c, col)
	if err != nil {
		return col, q, nil, err
	}
	all, err := s.features(c, col, q)
	return col, q, all, err
}

// inCRS is page in the CRS the query asks for, which it names in the
// Content-Crs header.
func (s *Server) inCRS(c echo.Context, q itemsQuery, page []json.RawMessage) ([]json.RawMessage, error) {
	crs := crs84
	if q.bng {
		crs = crsBNG
		var err error
		if page, err = s.inBNG(c, page); err != nil {
			return nil, err
		}
	}
	c.Response().Header().Set("Content-Crs", "<"+crs+">")
	return page, nil
}

func (s *Server) ogcItems(c echo.Context) error {
	_, q, all, err := s.collectionItems(c)
	if err != nil {
		return err
	}
	from, to := min(q.offset, len(all)), min(q.offset+q.limit, len(all))
	page, err := s.inCRS(c, q, slices.Clone(all[from:to]))
	if err != nil {
		return err
	}
	self := base(c) + c.Request().URL.Path
	link := func(rel string, offset int) ogcLink {
		v := maps.Clone(c.QueryParams())
		v.Set("offset", strconv.Itoa(offset))
		v.Set("limit", strconv.Itoa(q.limit))
		return ogcLink{Href: self + "?" + v.Encode(), Rel: rel, Type: mimeGeoJSON}
	}
	links := []ogcLink{{Href: self + "?" + c.QueryParams().Encode(), Rel: "self", Type: mimeGeoJSON}}
	if to < len(all) {
		links = append(links, link("next", to))
	}
	if from > 0 {
		links = append(links, link("prev", max(0, from-q.limit)))
	}
	return s.writeGeoJSON(c, http.StatusOK, map[string]any{
		"type": "FeatureCollection", "features": page, "numberMatched": len(all), "numberReturned": len(page),
		"timeStamp": time.Now().UTC().Format(time.RFC3339), "links": links,
	})
}

func (s *Server) ogcItem(c echo.Context) error {
	col, q, all, err := s.collectionItems(c)
	if err != nil {
		return err
	}
	want := []byte(strconv.Quote(c.Param("featureId")))
	for _, raw := range all {
		var f struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(raw, &f) == nil && bytes.Equal(f.ID, want) {
			page, err := s.inCRS(c, q, []json.RawMessage{raw})
			if err != nil {
				return err
			}
			return c.Blob(http.StatusOK, mimeGeoJSON, page[0])
		}
	}
	return newProblem(http.StatusNotFound, "no feature "+strconv.Quote(c.Param("featureId"))+" in "+col.id)
}
