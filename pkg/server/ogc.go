package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/project"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/bng"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/snapshot"
	"github.com/hexwatch/hexwatch/pkg/store"
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
	// paged: items pages itself by limit and cursor, its answer giving the
	// next_cursor; one answers a feature by its id (path parameter id).
	paged bool
	one   echo.HandlerFunc
	// datetime sets items' own parameters to answer an OGC datetime (a zero
	// time is an open end); nil: the collection refuses datetime.
	datetime func(inner url.Values, start, end time.Time, instant bool)
}

// snapshotPrefix begins the id of a snapshot's collection.
const snapshotPrefix = "snapshot-"

// ogcSnapshots is how many of the latest snapshots /ogc/collections lists;
// older ones are read by their collection id.
const ogcSnapshots = 50

// ogcCollections are the collections the caller may read, the snapshots'
// only when listed (a snapshot's collection is found by its id).
func (s *Server) ogcCollections(c echo.Context, listSnapshots bool) ([]ogcCollection, error) {
	p := principal(c)
	var out []ogcCollection
	if p.Can(auth.ViewHotspots) {
		d := "live hotspots: H3 cells with their time-decayed score, Gi* and trend"
		if !p.Can(auth.ReadAllReports) {
			d = "hotspots of the weekly published release (the published view)"
		}
		out = append(out, ogcCollection{id: "hotspots", title: "Hotspots",
			description: d + "; the hotspot parameters (res, window, half_life, categories, ...) as query parameters; datetime start/end is from/as_of",
			items:       s.listHotspots, bbox: true, passes: slices.DeleteFunc(slices.Clone(hotspot.ParamNames), func(n string) bool { return n == "bbox" }),
			datetime: func(inner url.Values, start, end time.Time, instant bool) {
				if !start.IsZero() && !instant {
					inner.Set("from", start.Format(time.RFC3339))
				}
				if !end.IsZero() {
					inner.Set("as_of", end.Format(time.RFC3339))
				}
			}})
	}
	if p.Can(auth.ReadAllReports) {
		out = append(out, ogcCollection{id: "reports", title: "Reports",
			description: "every agency's reports as the REST API gives them (each read a consult in the audit log); datetime is observed_at",
			items:       s.listReports, one: s.getReport, bbox: true, paged: true, passes: []string{"cursor", "status", "category", "agency", "cell"},
			datetime: func(inner url.Values, start, end time.Time, instant bool) {
				if instant {
					end = start
				}
				if !start.IsZero() {
					inner.Set("from", start.Format(time.RFC3339Nano))
				}
				if !end.IsZero() {
					// The interval is closed; the REST API's to is not.
					inner.Set("to", end.Add(time.Nanosecond).Format(time.RFC3339Nano))
				}
			}})
	}
	ctx := c.Request().Context()
	ls, err := s.db.Locations(ctx, actionsAgency(p))
	if err != nil {
		return nil, err
	}
	if len(ls) > 0 {
		out = append(out, ogcCollection{id: "locations", title: "Locations of concern", description: "locations of concern agreed at multi-agency meetings, with their actions' state",
			items: s.listLocations})
	}
	if listSnapshots && p.Can(auth.ExportSnapshots) {
		ss, err := s.db.Snapshots(ctx, time.Time{}, uuid.Nil, ogcSnapshots, !p.Can(auth.ReadAllReports))
		if err != nil {
			return nil, err
		}
		for _, sn := range ss {
			out = append(out, s.snapshotCollection(sn))
		}
	}
	return out, nil
}

// snapshotCollection is a snapshot's hotspots as a collection: each read is
// a disclosure in the audit log, as an export is.
func (s *Server) snapshotCollection(sn store.Snapshot) ogcCollection {
	view := "exact figures, for readers of every report"
	if sn.Published {
		view = "the published view of the release of " + snapshotOut(sn).Release
	}
	return ogcCollection{id: snapshotPrefix + sn.ID.String(), title: sn.Title + " (" + sn.MeetingDate.Format(time.DateOnly) + ")",
		description: "hotspots frozen for a meeting: " + view + "; each read is a disclosure (purpose: say why)",
		passes:      []string{"purpose", "recipient"},
		items: func(c echo.Context) error {
			content, err := snapshot.Decode(sn.Content)
			if err != nil {
				return err
			}
			purpose := strings.TrimSpace(c.QueryParam("purpose"))
			if purpose == "" {
				purpose = "read through OGC API - Features"
			}
			if err := s.db.Audit(c.Request().Context(), s.snapshotDisclosure(c, sn, purpose, map[string]any{"export": "ogc", "sha256": sn.SHA256})); err != nil {
				return err
			}
			body, err := snapshot.GeoJSON(content, sn.ID.String(), sn.SHA256)
			if err != nil {
				return err
			}
			return c.Blob(http.StatusOK, mimeGeoJSON, body)
		}}
}

func (s *Server) findCollection(c echo.Context) (ogcCollection, error) {
	id := c.Param("collection")
	notFound := newProblem(http.StatusNotFound, "no collection "+strconv.Quote(id)+" for you: GET /ogc/collections lists yours")
	if rest, ok := strings.CutPrefix(id, snapshotPrefix); ok {
		sid, err := uuid.Parse(rest)
		if err != nil || !principal(c).Can(auth.ExportSnapshots) {
			return ogcCollection{}, notFound
		}
		sn, err := s.snapshot(c, sid)
		if errors.Is(err, store.ErrNotFound) {
			return ogcCollection{}, notFound
		}
		return s.snapshotCollection(sn), err
	}
	cs, err := s.ogcCollections(c, false)
	if err != nil {
		return ogcCollection{}, err
	}
	for _, col := range cs {
		if col.id == id {
			return col, nil
		}
	}
	return ogcCollection{}, notFound
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
	cs, err := s.ogcCollections(c, true)
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
	if n := v.Get("offset"); n != "" && col.paged {
		errs = append(errs, FieldError{Field: "offset", Message: col.id + " pages by its next links (a cursor), not by offset"})
	} else if n != "" {
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
	var (
		start, end time.Time
		instant    bool
	)
	if raw := v.Get("datetime"); raw != "" {
		var fe *FieldError
		start, end, instant, fe = ogcDatetime(raw)
		switch {
		case col.datetime == nil:
			errs = append(errs, FieldError{Field: "datetime", Message: "the features of " + col.id + " have no time of their own"})
		case fe != nil:
			errs = append(errs, *fe)
		}
	}
	if raw := v.Get("bbox"); raw != "" {
		b, err := ogcBBox(raw, v.Get("bbox-crs"))
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
	if col.datetime != nil && v.Get("datetime") != "" {
		col.datetime(q.inner, start, end, instant)
	}
	if col.paged {
		q.inner.Set("limit", strconv.Itoa(min(q.limit, maxPage)))
	}
	return q, nil
}

// ogcDatetime reads an OGC datetime: an instant, or an interval start/end
// whose open end is ".." or empty. Dates or RFC 3339 times.
func ogcDatetime(raw string) (start, end time.Time, instant bool, _ *FieldError) {
	bad := func(msg string) *FieldError {
		return &FieldError{Field: "datetime", Message: msg + ": an instant (2026-11-02T09:00:00Z), or an interval such as 2026-11-02/2026-11-30, ../2026-11-30 or 2026-11-02/.."}
	}
	read := func(s string) (time.Time, bool) {
		if s == "" || s == ".." {
			return time.Time{}, true
		}
		t, msg := intel.ParseTime(s)
		return t, msg == ""
	}
	a, b, interval := strings.Cut(raw, "/")
	start, okA := read(a)
	if !interval {
		if start.IsZero() || !okA {
			return start, end, false, bad("not a time")
		}
		return start, start, true, nil
	}
	end, okB := read(b)
	switch {
	case !okA || !okB:
		return start, end, false, bad("not a time")
	case start.IsZero() && end.IsZero():
		return start, end, false, bad("both ends open")
	case !start.IsZero() && !end.IsZero() && end.Before(start):
		return start, end, false, bad("ends before it starts")
	}
	return start, end, false, nil
}

// ogcBBox reads a bbox in CRS84 or, with bbox-crs, British National Grid.
func ogcBBox(raw, crs string) (orb.Bound, *FieldError) {
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
		return bngBoxToWGS84(x), nil
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

// answer is a collection's endpoint's answer: its features and, for a
// collection that pages itself, where the next page starts.
type answer struct {
	Features   []json.RawMessage `json:"features"`
	NextCursor string            `json:"next_cursor"`
}

// call answers the request of c by handler h with query inner and path
// parameter id (when not ""), as the caller of c. An answer whose ETag is
// in the split cache comes from there: paging through a large answer
// parses it once.
func (s *Server) call(c echo.Context, h echo.HandlerFunc, inner url.Values, id string) (answer, error) {
	req := c.Request().Clone(c.Request().Context())
	req.URL.RawQuery = inner.Encode()
	req.Header.Del(echo.HeaderAcceptEncoding)
	req.Header.Set("If-None-Match", s.split.tags())
	w := &captured{header: http.Header{}}
	ic := s.echo.NewContext(req, w)
	ic.Set(principalKey, principal(c))
	ic.Set(requestIDKey, RequestID(c))
	if id != "" {
		ic.SetParamNames("id")
		ic.SetParamValues(id)
	}
	if err := h(ic); err != nil {
		return answer{}, err
	}
	tag := w.header.Get("ETag")
	switch w.status {
	case http.StatusNotModified:
		if a, ok := s.split.get(tag); ok {
			return a, nil
		}
		// Gone from the cache since: ask again, unconditionally.
		s.split.forget(tag)
		return s.call(c, h, inner, id)
	case http.StatusOK:
	default:
		return answer{}, fmt.Errorf("ogc: answered %d", w.status)
	}
	if id != "" {
		return answer{Features: []json.RawMessage{w.body.Bytes()}}, nil
	}
	var a answer
	if err := json.Unmarshal(w.body.Bytes(), &a); err != nil {
		return a, err
	}
	if tag != "" {
		s.split.put(tag, a, w.body.Len())
	}
	return a, nil
}

// features are the features the collection's endpoint answers the caller
// with query q, filtered to bbox when the endpoint takes none.
func (s *Server) features(c echo.Context, col ogcCollection, q itemsQuery) (answer, error) {
	a, err := s.call(c, col.items, q.inner, "")
	if err != nil || q.bbox == nil || col.bbox {
		return a, err
	}
	var kept []json.RawMessage
	for _, raw := range a.Features {
		f, err := geojson.UnmarshalFeature(raw)
		if err != nil {
			return a, err
		}
		if f.Geometry != nil && f.Geometry.Bound().Intersects(*q.bbox) {
			kept = append(kept, raw)
		}
	}
	a.Features = kept
	return a, nil
}

// bngBoxToWGS84 is the WGS84 extent of a British National Grid box, its
// edges followed (a straight grid line is a curve in longitude/latitude).
func bngBoxToWGS84(x [4]float64) orb.Bound {
	const steps = 64
	wgs := func(e, n float64) orb.Point {
		lon, lat := bng.ToWGS84(e, n)
		return orb.Point{lon, lat}
	}
	b := wgs(x[0], x[1]).Bound()
	for i := range steps + 1 {
		f := float64(i) / steps
		e, n := x[0]+f*(x[2]-x[0]), x[1]+f*(x[3]-x[1])
		b = b.Extend(wgs(e, x[1])).Extend(wgs(e, x[3])).Extend(wgs(x[0], n)).Extend(wgs(x[2], n))
	}
	return b
}

// toBNG is a WGS84 point in British National Grid, to 0.1 mm.
func toBNG(p orb.Point) orb.Point {
	e, n := bng.FromWGS84(p[0], p[1])
	return orb.Point{math.Round(e*1e4) / 1e4, math.Round(n*1e4) / 1e4}
}

// inBNG is the features with their geometries in British National Grid,
// transformed as BNG input is read (package bng: PostGIS's ST_Transform).
func inBNG(fs []json.RawMessage) ([]json.RawMessage, error) {
	for i, raw := range fs {
		var members map[string]json.RawMessage
		if err := json.Unmarshal(raw, &members); err != nil {
			return nil, err
		}
		g, err := geojson.UnmarshalGeometry(members["geometry"])
		if err != nil {
			return nil, err
		}
		if members["geometry"], err = geojson.NewGeometry(project.Geometry(g.Geometry(), toBNG)).MarshalJSON(); err != nil {
			return nil, err
		}
		if fs[i], err = json.Marshal(members); err != nil {
			return nil, err
		}
	}
	return fs, nil
}

// collectionItems are the collection of the request, its query, and the
// features that its endpoint answers the caller.
func (s *Server) collectionItems(c echo.Context) (ogcCollection, itemsQuery, answer, error) {
	col, err := s.findCollection(c)
	if err != nil {
		return col, itemsQuery{}, answer{}, err
	}
	q, err := s.parseItems(c, col)
	if err != nil {
		return col, q, answer{}, err
	}
	a, err := s.features(c, col, q)
	return col, q, a, err
}

// inCRS is page in the CRS the query asks for, which it names in the
// Content-Crs header.
func inCRS(c echo.Context, q itemsQuery, page []json.RawMessage) ([]json.RawMessage, error) {
	crs := crs84
	if q.bng {
		crs = crsBNG
		var err error
		if page, err = inBNG(page); err != nil {
			return nil, err
		}
	}
	c.Response().Header().Set("Content-Crs", "<"+crs+">")
	return page, nil
}

func (s *Server) ogcItems(c echo.Context) error {
	col, q, a, err := s.collectionItems(c)
	if err != nil {
		return err
	}
	all := a.Features
	from, to := min(q.offset, len(all)), min(q.offset+q.limit, len(all))
	if col.paged {
		from, to = 0, len(all)
	}
	page, err := inCRS(c, q, slices.Clone(all[from:to]))
	if err != nil {
		return err
	}
	self := base(c) + c.Request().URL.Path
	link := func(rel, param, value string) ogcLink {
		v := maps.Clone(c.QueryParams())
		v.Set(param, value)
		v.Set("limit", strconv.Itoa(q.limit))
		return ogcLink{Href: self + "?" + v.Encode(), Rel: rel, Type: mimeGeoJSON}
	}
	links := []ogcLink{{Href: self + "?" + c.QueryParams().Encode(), Rel: "self", Type: mimeGeoJSON}}
	out := map[string]any{"type": "FeatureCollection", "features": page, "numberReturned": len(page),
		"timeStamp": time.Now().UTC().Format(time.RFC3339)}
	switch {
	case col.paged:
		// A list that pages itself by cursor goes forward only and does not
		// count itself.
		if a.NextCursor != "" {
			links = append(links, link("next", "cursor", a.NextCursor))
		}
	default:
		out["numberMatched"] = len(all)
		if to < len(all) {
			links = append(links, link("next", "offset", strconv.Itoa(to)))
		}
		if from > 0 {
			links = append(links, link("prev", "offset", strconv.Itoa(max(0, from-q.limit))))
		}
	}
	out["links"] = links
	return s.writeGeoJSON(c, http.StatusOK, out)
}

func (s *Server) ogcItem(c echo.Context) error {
	col, err := s.findCollection(c)
	if err != nil {
		return err
	}
	q, err := s.parseItems(c, col)
	if err != nil {
		return err
	}
	id := c.Param("featureId")
	var found json.RawMessage
	if col.one != nil {
		a, err := s.call(c, col.one, url.Values{}, id)
		if err != nil {
			return err
		}
		found = a.Features[0]
	} else {
		a, err := s.features(c, col, q)
		if err != nil {
			return err
		}
		want := []byte(strconv.Quote(id))
		for _, raw := range a.Features {
			var f struct {
				ID json.RawMessage `json:"id"`
			}
			if json.Unmarshal(raw, &f) == nil && bytes.Equal(f.ID, want) {
				found = raw
				break
			}
		}
	}
	if found == nil {
		return newProblem(http.StatusNotFound, "no feature "+strconv.Quote(id)+" in "+col.id)
	}
	page, err := inCRS(c, q, []json.RawMessage{found})
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, mimeGeoJSON, page[0])
}
