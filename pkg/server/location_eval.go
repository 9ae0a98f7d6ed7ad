package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/displacement"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/release"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// The evaluation of a location: its area A, the buffer B of rings around
// it and the control C (the rest of the study area), in the whole weeks
// before and after a date. Readers of raw reports get exact figures from
// the engine; everyone else the figures of the latest weekly release that
// holds the location, computed at its cut-off for the area then in force.

// evaluationJSON is the answer of GET /locations/{id}/evaluation.
type evaluationJSON struct {
	Location string `json:"location"`
	// View is exact or published; Release names the release read (published only).
	View        string  `json:"view"`
	Release     *string `json:"release"`
	At          string  `json:"at"`
	Weeks       int     `json:"weeks"`
	WeeksAfter  int     `json:"weeks_after"`
	BufferRings int     `json:"buffer_rings"`
	AreaVersion int     `json:"area_version"`
	Regions     struct {
		Area    regionJSON `json:"area"`
		Buffer  regionJSON `json:"buffer"`
		Control regionJSON `json:"control"`
	} `json:"regions"`
	// Measures are Bowers & Johnson's, of harm and of plain counts; nil
	// when there are too few reports.
	Measures *struct {
		Harm    measuresJSON `json:"harm"`
		Reports measuresJSON `json:"reports"`
	} `json:"measures"`
	Test     *testJSON        `json:"test"`
	TooFew   bool             `json:"too_few"`
	Reading  string           `json:"reading"`
	Trend    trendJSON        `json:"trend"`
	Timeline []release.Period `json:"timeline"`
}

type regionJSON struct {
	Cells  int                 `json:"cells"`
	Before release.Figure      `json:"before"`
	After  release.Figure      `json:"after"`
	Change map[string]*float64 `json:"change"`
}

type measuresJSON struct {
	SuccessMeasure float64  `json:"success_measure"`
	BufferMeasure  float64  `json:"buffer_measure"`
	WDQ            *float64 `json:"wdq"`
	NetEffect      float64  `json:"net_effect"`
	Reading        string   `json:"reading"`
}

type testJSON struct {
	Name        string  `json:"name"`
	OddsRatio   float64 `json:"odds_ratio"`
	Low         float64 `json:"low"`
	High        float64 `json:"high"`
	Z           float64 `json:"z"`
	P           float64 `json:"p"`
	Significant bool    `json:"significant"`
}

// trendJSON is the trend classes of the area's cells (window 91 days) at
// the date and at the end of the weeks after it: cells by class, cells
// not shown under "not_shown".
type trendJSON struct {
	Before map[string]int `json:"before"`
	After  map[string]int `json:"after"`
}

// scopeLocations is the budget's scope of every location's evaluations:
// one scope, so that making locations opens no new budget.
const scopeLocations = "locations"

// defaultEvalWeeks is the weeks before and after when the request names none.
const defaultEvalWeeks = 8

func (s *Server) locationEvaluation(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	l, err := s.db.Location(ctx, id, uuid.Nil)
	if err != nil {
		return err
	}
	now := time.Now()
	published := s.release(principal(c)) != nil
	// By default, the week the location was recorded, or last week when
	// that is this one.
	at := hotspot.WeekStart(l.CreatedAt)
	if last := hotspot.WeekStart(now).AddDate(0, 0, -7); at.After(last) {
		at = last
	}
	if v := c.QueryParam("at"); v != "" {
		t, err := time.ParseInLocation(time.DateOnly, v, hotspot.London)
		if err != nil {
			return badRequest("the evaluation's parameters are not valid", FieldError{Field: "at", Message: "a date, YYYY-MM-DD"})
		}
		at = hotspot.WeekStart(t)
	}
	weeks := defaultEvalWeeks
	if v := c.QueryParam("weeks"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 1 || n > 52:
			return badRequest("the evaluation's parameters are not valid", FieldError{Field: "weeks", Message: "1 to 52"})
		case published && !slices.Contains(release.EvalWeeks, n):
			return badRequest("the published view answers a fixed menu of parameters", FieldError{Field: "weeks", Message: fmt.Sprintf("one of %v", release.EvalWeeks)})
		}
		weeks = n
	}
	if !at.Before(hotspot.WeekStart(now)) {
		return badRequest("the evaluation's parameters are not valid", FieldError{Field: "at", Message: "a date before this week: the weeks after it must have begun"})
	}
	out, err := s.evaluate(c, l, at, weeks, published)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// evaluate is the evaluation of l at the Monday at over weeks, exact or
// published: audited, and spent from the caller's budget (given back when
// it is not answered).
func (s *Server) evaluate(c echo.Context, l store.Location, at time.Time, weeks int, published bool) (*evaluationJSON, error) {
	p := hotspot.Params{Res: l.Area.Res, AsOf: at, From: at.AddDate(0, 0, -7*weeks)}.Defaults(time.Now())
	if published {
		p.Release = &hotspot.Release{K: s.cfg.MinCellReports}
	}
	refund, err := s.spend(c, scopeLocations, p, "location="+l.ID.String())
	if err != nil {
		return nil, err
	}
	var out *evaluationJSON
	if published {
		out, err = s.publishedEvaluation(c, l, at, weeks)
	} else {
		out, err = s.exactEvaluation(c, l, at, weeks, time.Now())
	}
	if err != nil {
		refund()
		return nil, err
	}
	out.Location, out.At, out.Weeks = l.ID.String(), at.Format(time.DateOnly), weeks
	judge(out)
	return out, nil
}

// exactEvaluation is the evaluation from every counted report, in the
// whole weeks before this one.
func (s *Server) exactEvaluation(c echo.Context, l store.Location, at time.Time, weeks int, now time.Time) (*evaluationJSON, error) {
	ctx := c.Request().Context()
	if err := s.engine.Sync(ctx); err != nil {
		return nil, err
	}
	cells := areaCells(l.Area)
	eng := s.engine.Engine
	buffer, control, err := release.Sides(eng, l.Area.Res, cells, s.cfg.BufferRings)
	if err != nil {
		return nil, err
	}
	after := min(weeks, weeksBetween(at, hotspot.WeekStart(now)))
	from := at.AddDate(0, 0, -7*weeks)
	cw, err := eng.CellWeeks(ctx, l.Area.Res, from, weeks+after, time.Time{}, 0)
	if err != nil {
		return nil, err
	}
	exact := func(t hotspot.Tally) release.Figure {
		n, h := t.Reports(), t.Harm()
		return release.Figure{Reports: &n, Harm: &h}
	}
	both := append(append([]hexgrid.Cell{}, cells...), buffer...)
	out := &evaluationJSON{View: "exact", WeeksAfter: after, BufferRings: s.cfg.BufferRings, AreaVersion: l.Area.Version}
	for _, side := range []struct {
		lo, hi int
		fig    func(*regionJSON) *release.Figure
	}{{0, weeks, func(r *regionJSON) *release.Figure { return &r.Before }}, {weeks, weeks + after, func(r *regionJSON) *release.Figure { return &r.After }}} {
		*side.fig(&out.Regions.Area) = exact(cw.Tally(cells, side.lo, side.hi))
		*side.fig(&out.Regions.Buffer) = exact(cw.Tally(buffer, side.lo, side.hi))
		*side.fig(&out.Regions.Control) = exact(cw.Rest(both, side.lo, side.hi))
	}
	out.Regions.Area.Cells, out.Regions.Buffer.Cells, out.Regions.Control.Cells = len(cells), len(buffer), control
	for w := range weeks + after {
		out.Timeline = append(out.Timeline, release.Period{Start: from.AddDate(0, 0, 7*w).Format(time.DateOnly), Weeks: 1, Figure: exact(cw.Tally(cells, w, w+1))})
	}
	trendAt := func(asOf time.Time) (map[string]int, error) {
		q := hotspot.Params{Res: l.Area.Res, AsOf: asOf}.Defaults(now)
		q.From = asOf.AddDate(0, 0, -91)
		r, err := eng.HotspotsContext(ctx, q)
		if err != nil {
			return nil, err
		}
		byCell := map[hexgrid.Cell]string{}
		for _, cs := range r.Cells {
			byCell[cs.Cell] = cs.Trend
		}
		return trendCounts(cells, func(c hexgrid.Cell) (string, bool) { t, ok := byCell[c]; return t, ok }), nil
	}
	if out.Trend.Before, err = trendAt(at); err != nil {
		return nil, err
	}
	if out.Trend.After, err = trendAt(at.AddDate(0, 0, 7*after)); err != nil {
		return nil, err
	}
	return out, nil
}

// publishedEvaluation is the evaluation of the latest release that holds
// the location: nil figures where the release shows too few reports.
func (s *Server) publishedEvaluation(c echo.Context, l store.Location, at time.Time, weeks int) (*evaluationJSON, error) {
	ctx := c.Request().Context()
	rel, err := s.releases.Location(ctx, l.ID, time.Now())
	if errors.Is(err, release.ErrNoRelease) {
		// Not an error: the location waits for the next release.
		next := nextCutoff(l.Area.ValidFrom).In(hotspot.London).Format(time.DateOnly)
		return &evaluationJSON{View: "published", BufferRings: s.cfg.BufferRings, AreaVersion: l.Area.Version, TooFew: true, Timeline: []release.Period{},
			Reading: fmt.Sprintf("Not evaluated yet: a location's published figures come from the weekly releases, and this one enters the release of %s, the first computed after its area was drawn.", next)}, nil
	}
	if err != nil {
		return nil, err
	}
	ev, ok := rel.Evaluations[release.EvalKey(at, weeks)]
	if !ok {
		return nil, badRequest("the published view answers a fixed menu of parameters", FieldError{Field: "at",
			Message: fmt.Sprintf("a date in the %d weeks before the release of %s", release.EvalHistory, rel.Cutoff.In(hotspot.London).Format(time.DateOnly))})
	}
	name := rel.Cutoff.In(hotspot.London).Format(time.DateOnly)
	out := &evaluationJSON{View: "published", Release: &name, WeeksAfter: ev.WeeksAfter, BufferRings: rel.BufferRings, AreaVersion: rel.Version,
		Timeline: rel.Timeline}
	out.Regions.Area = regionJSON{Cells: len(rel.Cells), Before: ev.Before.Area, After: ev.After.Area}
	out.Regions.Buffer = regionJSON{Cells: rel.BufferCells, Before: ev.Before.Buffer, After: ev.After.Buffer}
	out.Regions.Control = regionJSON{Cells: rel.ControlCells, Before: ev.Before.Control, After: ev.After.Control}
	trendAt := func(cutoff time.Time) (map[string]int, error) {
		if rel.Res > s.cfg.PublishedMaxRes {
			return nil, nil
		}
		t, err := s.releases.Table(ctx, cutoff, rel.Res, 91*24*time.Hour, "")
		if errors.Is(err, release.ErrNoRelease) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return trendCounts(rel.Cells, func(c hexgrid.Cell) (string, bool) { pc, ok := t.Lookup(c); return pc.Trend, ok }), nil
	}
	if out.Trend.Before, err = trendAt(at); err != nil {
		return nil, err
	}
	if out.Trend.After, err = trendAt(at.AddDate(0, 0, 7*ev.WeeksAfter)); err != nil {
		return nil, err
	}
	return out, nil
}

func areaCells(a store.LocationArea) []hexgrid.Cell {
	out := make([]hexgrid.Cell, len(a.Cells))
	for i, c := range a.Cells {
		out[i] = hexgrid.Cell(c)
	}
	return out
}

// weeksBetween is the number of whole weeks from the Monday a to the Monday b.
func weeksBetween(a, b time.Time) int {
	n := 0
	for d := a; d.Before(b); d = d.In(hotspot.London).AddDate(0, 0, 7) {
		n++
	}
	return n
}

// trendCounts counts cells by the trend trend gives them; a cell it does
// not know is not shown.
func trendCounts(cells []hexgrid.Cell, trend func(hexgrid.Cell) (string, bool)) map[string]int {
	out := map[string]int{}
	for _, c := range cells {
		t, ok := trend(c)
		if !ok {
			t = "not_shown"
		}
		out[t]++
	}
	return out
}

// judge fills in the changes, measures, test and reading of out from its
// figures: nothing is computed from a figure not shown, and too few
// reports in the area is said, never guessed. An answer already read
// (a location in no release yet) is left as it is.
func judge(out *evaluationJSON) {
	rs := []*regionJSON{&out.Regions.Area, &out.Regions.Buffer, &out.Regions.Control}
	period := func(r *regionJSON, harm bool) (displacement.Period, bool) {
		if harm {
			if r.Before.Harm == nil || r.After.Harm == nil {
				return displacement.Period{}, false
			}
			return displacement.Period{Before: *r.Before.Harm, After: *r.After.Harm}, true
		}
		if r.Before.Reports == nil || r.After.Reports == nil {
			return displacement.Period{}, false
		}
		return displacement.Period{Before: float64(*r.Before.Reports), After: float64(*r.After.Reports)}, true
	}
	shown := make([]bool, len(rs))
	for i, r := range rs {
		r.Change = map[string]*float64{}
		shown[i] = true
		for _, what := range []string{"harm", "reports"} {
			if p, ok := period(r, what == "harm"); ok {
				r.Change[what] = displacement.Change(p)
			} else {
				r.Change[what] = nil
				shown[i] = false
			}
		}
	}
	if out.Reading != "" {
		return
	}
	areas := func(harm bool) displacement.Areas {
		a, _ := period(rs[0], harm)
		b, _ := period(rs[1], harm)
		c, _ := period(rs[2], harm)
		return displacement.Areas{A: a, B: b, C: c}
	}
	plain := areas(false)
	switch {
	case out.WeeksAfter == 0:
		out.TooFew = true
		out.Reading = "No week after the date has ended yet: nothing to compare."
		return
	case !shown[0] || !shown[2]:
		out.TooFew = true
		out.Reading = "Too few reports to say anything: the weekly release does not show a figure of fewer than its floor (\"too few reports\" below)."
		return
	case displacement.TooFew(plain.A):
		out.TooFew = true
		out.Reading = fmt.Sprintf("Too few reports to say anything: %.0f in the area before and after together, and at least %d are needed.",
			plain.A.Before+plain.A.After, displacement.MinReports)
		return
	}
	test := oddsRatio(out, plain)
	if !shown[1] {
		// The area against the control can be said; the buffer cannot.
		out.Reading = displacement.Words(displacement.Measures{}, areas(true), test, "harm") +
			" Too few reports in the buffer to say whether harm moved next door." + soFar(out)
		return
	}
	harm := areas(true)
	mh, errH := displacement.Measure(harm)
	mr, errR := displacement.Measure(plain)
	if errH != nil || errR != nil {
		out.TooFew = true
		out.Reading = "Too few reports to say anything: the control holds no reports before or after the date."
		return
	}
	m := func(x displacement.Measures) measuresJSON {
		return measuresJSON{SuccessMeasure: x.SuccessMeasure, BufferMeasure: x.BufferMeasure, WDQ: x.WDQ, NetEffect: x.NetEffect, Reading: x.Reading}
	}
	out.Measures = &struct {
		Harm    measuresJSON `json:"harm"`
		Reports measuresJSON `json:"reports"`
	}{m(mh), m(mr)}
	out.Reading = displacement.Words(mh, harm, test, "harm") + soFar(out)
}

// soFar says how many of the weeks after the date have passed, when not all.
func soFar(out *evaluationJSON) string {
	if out.WeeksAfter >= out.Weeks {
		return ""
	}
	return fmt.Sprintf(" So far: %d of the %d weeks after the date have passed.", out.WeeksAfter, out.Weeks)
}

// oddsRatio is the test of the area's reports against the control's, set
// on out; nil when a count is 0.
func oddsRatio(out *evaluationJSON, plain displacement.Areas) *displacement.Test {
	t, err := displacement.OddsRatio(plain.A, plain.C)
	if err != nil {
		return nil
	}
	out.Test = &testJSON{Name: "relative effect size (odds ratio) of the area's reports against the control's, log-normal, two-sided",
		OddsRatio: t.OddsRatio, Low: t.Low, High: t.High, Z: t.Z, P: t.P, Significant: t.Significant}
	return &t
}
