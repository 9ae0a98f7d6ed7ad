package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/live"
	"github.com/hexwatch/hexwatch/pkg/release"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// hotspotQuery parses the request's parameters. A caller who may not read
// raw reports gets the published view: the menu's parameters, as of the
// cut-off of the release in force on as_of's day; anyone else the live
// engine, brought up to date.
func (s *Server) hotspotQuery(c echo.Context) (hotspot.Params, error) {
	now := time.Now()
	v := queryValues(c.QueryParams())
	p, errs := hotspot.Parse(v, now, s.cfg.Retention)
	if errs != nil {
		return p, badRequest("the hotspot parameters are not valid", errs...)
	}
	r := s.release(principal(c))
	if r == nil {
		return p, s.engine.Sync(c.Request().Context())
	}
	if errs := hotspot.ParsePublished(v, &p, s.cfg.PublishedMaxRes, now); errs != nil {
		return p, badRequest("the published view answers a fixed menu of parameters", errs...)
	}
	return publishedParams(s.releases.Menu(), p), nil
}

// publishedParams are the parameters of the release table that answers
// the published query p (its bbox kept).
func publishedParams(m release.Menu, p hotspot.Params) hotspot.Params {
	category := ""
	if len(p.Categories) == 1 {
		category = p.Categories[0]
	}
	out := m.Params(release.Cutoff(p.AsOf), p.Res, p.AsOf.Sub(p.From).Round(24*time.Hour), category, p.HalfLife)
	out.BBox = p.BBox
	return out
}

// etag names a result by the data version and every parameter used.
func etag(version int64, p hotspot.Params, extra string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d|%s|%s", version, p.Key(), extra))
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

func (s *Server) listHotspots(c echo.Context) error {
	p, err := s.hotspotQuery(c)
	if err != nil {
		return err
	}
	refund, err := s.spendQuery(c, scopeMap, p)
	if err != nil {
		return err
	}
	version := int64(0) // a release never changes
	if p.Release == nil {
		version = s.engine.Version()
	}
	key := etag(version, p, "")
	c.Response().Header().Set("Cache-Control", "private, no-cache")
	c.Response().Header().Set(echo.HeaderVary, echo.HeaderAcceptEncoding)
	notModified := func(tag string) bool {
		c.Response().Header().Set("ETag", tag)
		match := c.Request().Header.Get("If-None-Match")
		return match != "" && strings.Contains(match, tag)
	}
	// The full view's ETag names the data version and parameters, and is
	// known before any work. A published view's is the hash of its bytes,
	// which are those of a release: writes leave no trace in them.
	if p.Release == nil && notModified(key) {
		return c.NoContent(http.StatusNotModified)
	}
	body, cached := s.rendered.get(key)
	if !cached {
		res, err := s.hotspots(c, p, refund)
		if err != nil {
			return err
		}
		if len(res.Cells) > s.cfg.MaxCells {
			return badRequest(fmt.Sprintf("%d cells exceed the %d one answer may hold: narrow the request (a bbox, a coarser res, fewer categories)", len(res.Cells), s.cfg.MaxCells),
				FieldError{Field: "bbox", Message: "narrow the area, or lower res"})
		}
		if body, err = s.geo.hotspots(res, time.Now()); err != nil {
			return err
		}
		s.rendered.put(key, body)
	}
	if p.Release != nil {
		sum := sha256.Sum256(body)
		if notModified(`"` + hex.EncodeToString(sum[:16]) + `"`) {
			return c.NoContent(http.StatusNotModified)
		}
	}
	if !cached {
		return c.Blob(http.StatusOK, mimeGeoJSON, body)
	}
	// Parameters asked for again are worth compressing, once.
	if strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") {
		if gz := s.rendered.gzipped(key); gz != nil {
			c.Response().Header().Set(echo.HeaderContentEncoding, "gzip")
			return c.Blob(http.StatusOK, mimeGeoJSON, gz)
		}
	}
	return c.Blob(http.StatusOK, mimeGeoJSON, body)
}

// cellExplanation is the JSON answer of /api/v1/hotspots/{cell}.
type cellExplanation struct {
	View         string             `json:"view"`
	Cell         string             `json:"cell"`
	Parameters   paramsJSON         `json:"parameters"`
	DataVersion  int64              `json:"data_version"`
	Hotspot      cellJSON           `json:"hotspot"`
	TrendInWords string             `json:"trend_in_words"`
	ByCategory   map[string]float64 `json:"by_category"`
	ByAgencyKind map[string]float64 `json:"by_agency_kind"`
	ByGrading    map[string]float64 `json:"by_grading"`
	ByAge        []hotspot.Band     `json:"by_age"`
	Weeks        []weekJSON         `json:"weeks"`
	Agencies     []agencyShareJSON  `json:"agencies"`
	Neighbours   []neighbourJSON    `json:"neighbours"`
	Links        map[string]string  `json:"links"`
}

type weekJSON struct {
	Start   string  `json:"start"`
	Reports int     `json:"reports"`
	Score   float64 `json:"score"`
}

type agencyShareJSON struct {
	Agency  string  `json:"agency"`
	Kind    string  `json:"kind"`
	Reports int     `json:"reports"`
	Score   float64 `json:"score"`
}

type neighbourJSON struct {
	Cell    string  `json:"cell"`
	Reports int     `json:"reports"`
	Score   float64 `json:"score"`
}

var trendWords = map[string]string{
	hotspot.TrendNew:          "a new hot spot: significant in the latest period, never before",
	hotspot.TrendConsecutive:  "a consecutive hot spot: significant in an unbroken run of recent periods, not before",
	hotspot.TrendIntensifying: "an intensifying hot spot: significant in almost every period, and getting hotter",
	hotspot.TrendPersistent:   "a persistent hot spot: significant in almost every period, with no clear trend",
	hotspot.TrendDiminishing:  "a diminishing hot spot: significant in almost every period, but cooling",
	hotspot.TrendSporadic:     "a sporadic hot spot: significant now, on and off before",
	hotspot.TrendHistorical:   "a historical hot spot: significant in almost every period, but not in the latest",
	hotspot.TrendNone:         "no emerging pattern",
}

func (s *Server) getHotspotCell(c echo.Context) error {
	cell, err := hexgrid.Parse(c.Param("cell"))
	if err != nil {
		return store.ErrNotFound
	}
	p, err := s.hotspotQuery(c)
	if err != nil {
		return err
	}
	if c.QueryParam("res") == "" {
		p.Res = cell.Resolution()
	}
	if cell.Resolution() != p.Res {
		return badRequest("", FieldError{Field: "res", Message: fmt.Sprintf("the cell is at resolution %d", cell.Resolution())})
	}
	if p.Release != nil && p.Res > s.cfg.PublishedMaxRes {
		return badRequest("the published view answers a fixed menu of parameters",
			FieldError{Field: "res", Message: fmt.Sprintf("the published view goes to resolution %d at most", s.cfg.PublishedMaxRes)})
	}
	refund, err := s.spendQuery(c, cell.String(), p)
	if err != nil {
		return err
	}
	if p.Release != nil {
		body, err := s.publishedExplanation(c, p, cell)
		if err != nil {
			return err
		}
		return c.JSONBlob(http.StatusOK, body)
	}
	// Explanations asked for again cost nothing.
	key := etag(s.engine.Version(), p, "explain "+cell.String())
	body, cached := s.rendered.get(key)
	if !cached {
		err := s.compute(c, func(ctx context.Context) error {
			var err error
			body, err = s.fullExplanation(ctx, p, cell)
			return err
		})
		if err != nil {
			if busy(err) {
				refund()
			}
			return err
		}
		s.rendered.put(key, body)
	}
	return c.JSONBlob(http.StatusOK, body)
}

// fullExplanation is the JSON of a cell's explanation with exact figures.
func (s *Server) fullExplanation(ctx context.Context, p hotspot.Params, cell hexgrid.Cell) ([]byte, error) {
	ex, err := s.engine.Explain(ctx, p, cell)
	if errors.Is(err, hotspot.ErrUnknownCell) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	place, err := s.geo.place(cell)
	if err != nil {
		return nil, err
	}
	out := cellExplanation{
		View: viewFull, Cell: cell.String(), Parameters: paramsOf(p), DataVersion: s.engine.Version(), Hotspot: cellOf(ex.Cell, place, false),
		TrendInWords: trendWords[ex.Cell.Trend], ByCategory: ex.ByCategory, ByAgencyKind: ex.ByAgencyKind,
		ByGrading: ex.ByGrading, ByAge: ex.ByAge, Links: map[string]string{},
	}
	for _, w := range ex.Weeks {
		out.Weeks = append(out.Weeks, weekJSON{Start: w.Start.Format(time.RFC3339), Reports: w.Reports, Score: w.Score})
	}
	for _, a := range ex.Agencies {
		out.Agencies = append(out.Agencies, agencyShareJSON{Agency: a.Agency.Name, Kind: a.Agency.Kind, Reports: a.Reports, Score: a.Score})
	}
	for _, n := range ex.Neighbours {
		out.Neighbours = append(out.Neighbours, neighbourJSON{Cell: n.Cell.String(), Reports: n.Reports, Score: n.Score})
	}
	out.Links["reports"] = "/api/v1/reports?status=live&cell=" + cell.String() + "&from=" + url.QueryEscape(p.From.Format(time.RFC3339)) +
		"&to=" + url.QueryEscape(p.AsOf.Add(time.Second).Format(time.RFC3339))
	return json.Marshal(out)
}

// publishedExplanation is the answer of /api/v1/hotspots/{cell} in the
// published view: counts, never scores, of the splits that hold K reports.
type publishedExplanation struct {
	View         string             `json:"view"`
	Cell         string             `json:"cell"`
	Parameters   paramsJSON         `json:"parameters"`
	Hotspot      cellJSON           `json:"hotspot"`
	TrendInWords string             `json:"trend_in_words"`
	ByCategory   map[string]int     `json:"by_category"`
	ByAgencyKind map[string]int     `json:"by_agency_kind"`
	ByGrading    map[string]int     `json:"by_grading"`
	ByAge        []hotspot.Count    `json:"by_age"`
	Periods      []hotspot.Count    `json:"periods"`
	Neighbours   []publishedNbrJSON `json:"neighbours"`
}

// publishedNbrJSON is a cell of the ring: a hidden one has no figures.
type publishedNbrJSON struct {
	Cell    string   `json:"cell"`
	Shown   bool     `json:"shown"`
	Reports *int     `json:"reports,omitempty"`
	Score   *float64 `json:"score,omitempty"`
}

// publishedExplanation is the JSON of a shown cell's published
// explanation, read from the release table of p.
func (s *Server) publishedExplanation(c echo.Context, p hotspot.Params, cell hexgrid.Cell) ([]byte, error) {
	t, err := s.releaseTable(c, p)
	if err != nil {
		return nil, err
	}
	rc, shown := t.Lookup(cell)
	if !shown || rc.Splits == nil {
		// A hidden cell does not exist for this caller.
		return nil, store.ErrNotFound
	}
	place, err := s.geo.place(cell)
	if err != nil {
		return nil, err
	}
	h := hotspot.DurationText(p.HalfLife)
	f := rc.ByHalfLife[h]
	score := hotspot.CellScore{Cell: cell, Score: f.Score, Reports: rc.Reports, Categories: rc.Categories, Rank: f.Rank,
		Confidence: f.Confidence, Trend: rc.Trend}
	sp := rc.Splits
	out := publishedExplanation{
		View: viewPublished, Cell: cell.String(), Parameters: paramsOf(p),
		Hotspot: cellOf(score, place, true), TrendInWords: trendWords[rc.Trend], ByCategory: sp.ByCategory,
		ByAgencyKind: sp.ByAgencyKind, ByGrading: sp.ByGrading, ByAge: sp.ByAge, Periods: sp.Periods,
		Neighbours: []publishedNbrJSON{},
	}
	disk, err := cell.Disk(p.K)
	if err != nil {
		return nil, err
	}
	for _, d := range disk {
		if d == cell || !s.engine.InStudy(d) {
			continue
		}
		nb := publishedNbrJSON{Cell: d.String()}
		if n, ok := t.Lookup(d); ok {
			score, reports := n.ByHalfLife[h].Score, n.Reports
			nb.Shown, nb.Reports, nb.Score = true, &reports, &score
		}
		out.Neighbours = append(out.Neighbours, nb)
	}
	return json.Marshal(out)
}

// Engine is the server's hotspot engine.
func (s *Server) Engine() *live.Engine { return s.engine }

// Load loads the hotspot engine and prepares what the first hotspot
// answers would otherwise pay for: the default neighbourhoods of every
// resolution and the boundaries and places of the cells of resolutions 6
// to 9 (those of 10 are rendered as they are asked for). The boundaries
// share nothing with the reports, and are rendered while those are read.
func (s *Server) Load(ctx context.Context) error {
	var g errgroup.Group
	g.Go(func() error { return s.engine.Load(ctx) })
	g.Go(func() error {
		for res := hotspot.MinRes; res < hotspot.MaxRes; res++ {
			if err := s.geo.warm(s.engine.StudyArea(res)); err != nil {
				return err
			}
		}
		return nil
	})
	return g.Wait()
}
