package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/activity"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/release"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// How good the map is, and where the partnership is blind: the back-test
// of past maps (/accuracy), who reports from where (/coverage) and the
// agencies that fell silent (/agencies/activity).

// Coverage classes of a cell, and what the map's legend says of each.
const (
	coveragePolice   = "police"
	coveragePartners = "partners"
	coverageBoth     = "both"
	coverageNone     = "none"
	coverageMixed    = "mixed"
)

// publishedCoverageWords are the legend of the published layer, where a
// kind is named only when reports of more than one agency of it reach the
// floor: a kind one agency holds is never named, since naming it would
// name the agency.
var publishedCoverageWords = map[string]string{
	coveragePolice:   "Police named; no partner kind named",
	coveragePartners: "Partner kinds named; police not named",
	coverageBoth:     "Police and partner kinds named",
	coverageMixed:    "Several agencies reported; no kind has enough, from more than one agency, to be named",
}

var coverageWords = map[string]string{
	coveragePolice:   "Police only",
	coveragePartners: "Partners only (no police report)",
	coverageBoth:     "Police and partners",
	coverageNone:     "Nobody reported here in this window; someone did in the one before",
	coverageMixed:    "Several kinds of agency, none with enough reports to name",
}

// coverageClass is the class of the agency kinds that reported from a cell.
func coverageClass(kinds []string, other bool) string {
	police, partners := false, false
	for _, k := range kinds {
		if k == "police" {
			police = true
		} else {
			partners = true
		}
	}
	switch {
	case police && partners:
		return coverageBoth
	case police:
		return coveragePolice
	case partners:
		return coveragePartners
	case other:
		return coverageMixed
	}
	return coverageNone
}

type coverageFC struct {
	Type       string            `json:"type"`
	View       string            `json:"view"`
	Parameters paramsJSON        `json:"parameters"`
	Legend     map[string]string `json:"legend"`
	Features   []coverageFeature `json:"features"`
}

type coverageFeature struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties coverageProps   `json:"properties"`
}

type coverageProps struct {
	Cell     string   `json:"cell"`
	Place    string   `json:"place"`
	Coverage string   `json:"coverage"`
	Kinds    []string `json:"kinds"`
	// SilentKinds reported in the window before and not in this one; in
	// the published view null when the earlier release did not show the
	// cell.
	SilentKinds []string `json:"silent_kinds"`
	Reports     *int     `json:"reports,omitempty"`
	Agencies    *int     `json:"agencies,omitempty"`
	// OtherKinds (published view): kinds of fewer than K reports each,
	// together K or more.
	OtherKinds *bool `json:"other_kinds,omitempty"`
}

func (s *Server) coverageFeature(cell hexgrid.Cell, props coverageProps) (coverageFeature, error) {
	cg, err := s.geo.cell(cell)
	if err != nil {
		return coverageFeature{}, err
	}
	props.Cell, props.Place = cell.String(), cg.place
	if props.Kinds == nil {
		props.Kinds = []string{}
	}
	geom := append(append([]byte(`{"type":"Polygon","coordinates":`), cg.ring...), '}')
	return coverageFeature{Type: "Feature", ID: cell.String(), Geometry: geom, Properties: props}, nil
}

// getCoverage is the layer "Where our information comes from": exact for
// readers of every report, from the weekly release (coarser, by agency
// kind only) for everyone else.
func (s *Server) getCoverage(c echo.Context) error {
	p, err := s.hotspotQuery(c)
	if err != nil {
		return err
	}
	if p.Release != nil && p.Res > release.CoverageMaxRes {
		return badRequest("the published view answers a fixed menu of parameters",
			FieldError{Field: "res", Message: fmt.Sprintf("the published coverage layer goes to resolution %d at most", release.CoverageMaxRes)})
	}
	refund, err := s.spend(c, scopeMap, p, "coverage")
	if err != nil {
		return err
	}
	out := coverageFC{Type: "FeatureCollection", View: viewFull, Parameters: paramsOf(p), Legend: coverageWords, Features: []coverageFeature{}}
	if p.Release != nil {
		out.View, out.Legend = viewPublished, publishedCoverageWords
		if err := s.publishedCoverage(c, p, &out); err != nil {
			return err
		}
		return s.writeGeoJSON(c, http.StatusOK, out)
	}
	var cells []hotspot.CellCoverage
	err = s.compute(c, func(ctx context.Context) (err error) {
		cells, err = s.engine.Coverage(ctx, p)
		return err
	})
	if err != nil {
		if busy(err) {
			refund()
		}
		return err
	}
	cells = slices.DeleteFunc(cells, func(cc hotspot.CellCoverage) bool { return !inBBox(p, cc.Cell) })
	if len(cells) > s.cfg.MaxCells {
		return badRequest(fmt.Sprintf("%d cells exceed the %d one answer may hold: narrow the request (a bbox, a coarser res)", len(cells), s.cfg.MaxCells),
			FieldError{Field: "res", Message: "lower res, or narrow the area"})
	}
	for _, cc := range cells {
		reports, agencies := cc.Reports, cc.Agencies
		ft, err := s.coverageFeature(cc.Cell, coverageProps{Coverage: coverageClass(cc.Kinds, false), Kinds: cc.Kinds,
			SilentKinds: nonNil(cc.Silent()), Reports: &reports, Agencies: &agencies})
		if err != nil {
			return err
		}
		out.Features = append(out.Features, ft)
	}
	return s.writeGeoJSON(c, http.StatusOK, out)
}

func inBBox(p hotspot.Params, c hexgrid.Cell) bool {
	if p.BBox == nil {
		return true
	}
	center, err := c.Center()
	return err == nil && p.BBox.Contains(center)
}

// publishedCoverage reads the layer from the release table of p and the
// one whose window ends where p's begins.
func (s *Server) publishedCoverage(c echo.Context, p hotspot.Params, out *coverageFC) error {
	t, err := s.releaseTable(c, p)
	if err != nil {
		return err
	}
	window := p.AsOf.Sub(p.From).Round(24 * time.Hour)
	category := ""
	if len(p.Categories) == 1 {
		category = p.Categories[0]
	}
	prev, err := s.releases.Table(c.Request().Context(), release.Cutoff(p.From.Add(12*time.Hour)), p.Res, window, category)
	if errors.Is(err, release.ErrNoRelease) {
		prev, err = nil, nil
	}
	if err != nil {
		return err
	}
	for _, ck := range t.Kinds(prev) {
		if !inBBox(p, ck.Cell) {
			continue
		}
		props := coverageProps{Coverage: coverageClass(ck.Kinds, ck.Other), Kinds: ck.Kinds, OtherKinds: &ck.Other}
		if ck.Before != nil {
			props.SilentKinds = []string{}
			for _, k := range ck.Before {
				if !slices.Contains(ck.Kinds, k) {
					props.SilentKinds = append(props.SilentKinds, k)
				}
			}
		}
		ft, err := s.coverageFeature(ck.Cell, props)
		if err != nil {
			return err
		}
		out.Features = append(out.Features, ft)
	}
	return nil
}

// spread is a measure's mean and sample standard deviation over the weeks
// where it is defined.
type spread struct {
	Mean  *float64 `json:"mean"`
	SD    *float64 `json:"sd"`
	Weeks int      `json:"weeks"`
}

func spreadOf(xs []float64) spread {
	out := spread{Weeks: len(xs)}
	if len(xs) == 0 {
		return out
	}
	var sum, sum2 float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	for _, x := range xs {
		sum2 += (x - mean) * (x - mean)
	}
	sd := 0.0
	if len(xs) > 1 {
		sd = math.Sqrt(sum2 / float64(len(xs)-1))
	}
	out.Mean, out.SD = &mean, &sd
	return out
}

type captureJSON struct {
	Coverage float64  `json:"coverage"`
	Cells    int      `json:"cells"`
	Hits     int      `json:"hits"`
	HitRate  *float64 `json:"hit_rate"`
	PAI      *float64 `json:"pai"`
	PEIStar  *float64 `json:"pei_star"`
}

type summaryJSON struct {
	Coverage float64 `json:"coverage"`
	HitRate  spread  `json:"hit_rate"`
	PAI      spread  `json:"pai"`
	PEIStar  spread  `json:"pei_star"`
}

type forecastJSON struct {
	Name     string        `json:"name"`
	HalfLife *string       `json:"half_life"`
	Summary  []summaryJSON `json:"summary"`
}

type accuracyWeekJSON struct {
	Start     string          `json:"start"`
	Reports   int             `json:"reports"`
	Forecasts [][]captureJSON `json:"forecasts"`
}

type accuracyJSON struct {
	Res        int                `json:"res"`
	Window     string             `json:"window"`
	AsOf       string             `json:"as_of"`
	StudyCells int                `json:"study_cells"`
	Coverages  []float64          `json:"coverages"`
	Forecasts  []forecastJSON     `json:"forecasts"`
	Best       []bestJSON         `json:"best"`
	Weeks      []accuracyWeekJSON `json:"weeks"`
}

// bestJSON names the half-life of the highest mean PAI at a coverage,
// beside the naive baseline's (which may flag fewer cells: see cells).
type bestJSON struct {
	Coverage float64  `json:"coverage"`
	Forecast string   `json:"forecast"`
	PAI      float64  `json:"pai"`
	NaivePAI *float64 `json:"naive_pai"`
}

// Back-test limits.
const (
	defaultAccuracyWeeks = 12
	maxAccuracyWeeks     = 52
)

// notInBackTest are hotspot parameters that play no part in a back-test.
var notInBackTest = []string{"k", "period", "fdr", "bbox", "from"}

// getAccuracy back-tests the map: for each of the last weeks, the map as
// it stood at the week's start against the week's counted reports, for
// each half-life of the published menu (and the one asked for) and the
// naive count of the last four weeks.
func (s *Server) getAccuracy(c echo.Context) error {
	v := queryValues(c.QueryParams())
	weeks := defaultAccuracyWeeks
	var errs []FieldError
	if w, ok := v["weeks"]; ok {
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 || n > maxAccuracyWeeks {
			errs = append(errs, FieldError{Field: "weeks", Message: fmt.Sprintf("must be a whole number from 1 to %d", maxAccuracyWeeks)})
		}
		weeks = n
		delete(v, "weeks")
	}
	for _, k := range notInBackTest {
		if v[k] != "" {
			errs = append(errs, FieldError{Field: k, Message: "plays no part in a back-test: each week's map is as of the week's start, over the window"})
		}
	}
	p, perrs := hotspot.Parse(v, time.Now(), s.cfg.Retention)
	errs = append(errs, perrs...)
	if len(errs) > 0 {
		return badRequest("the back-test parameters are not valid", errs...)
	}
	halfLives := slices.Clone(hotspot.PublishedHalfLives)
	if v["half_life"] != "" && !slices.Contains(halfLives, p.HalfLife) {
		halfLives = append(halfLives, p.HalfLife)
		slices.Sort(halfLives)
	}
	forecasts := make([]hotspot.Forecast, 0, len(halfLives)+1)
	for _, h := range halfLives {
		forecasts = append(forecasts, hotspot.Forecast{HalfLife: h})
	}
	forecasts = append(forecasts, hotspot.Forecast{})
	if err := s.engine.Sync(c.Request().Context()); err != nil {
		return err
	}
	refund, err := s.spend(c, scopeMap, p, "accuracy")
	if err != nil {
		return err
	}
	var bt *hotspot.BackTest
	err = s.compute(c, func(ctx context.Context) (err error) {
		bt, err = s.engine.Accuracy(ctx, p, forecasts, weeks)
		return err
	})
	if err != nil {
		if busy(err) {
			refund()
		}
		return err
	}
	return c.JSON(http.StatusOK, accuracyOut(bt, p))
}

func forecastName(f hotspot.Forecast) string {
	if f.Naive() {
		return fmt.Sprintf("last %d weeks' counts", hotspot.NaiveWeeks)
	}
	return "half-life " + hotspot.DurationText(f.HalfLife)
}

func ptr(x float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	return &x
}

func accuracyOut(bt *hotspot.BackTest, p hotspot.Params) accuracyJSON {
	out := accuracyJSON{Res: bt.Res, Window: hotspot.DurationText(bt.Window), AsOf: p.AsOf.Format(time.RFC3339), StudyCells: bt.StudyCells,
		Coverages: hotspot.Coverages, Weeks: make([]accuracyWeekJSON, len(bt.Weeks))}
	n := bt.StudyCells
	// measures[forecast][coverage] are the weeks' hit rates, PAIs, PEI*s.
	type measures struct{ hr, pai, pei []float64 }
	ms := make([][]measures, len(bt.Forecasts))
	for k := range ms {
		ms[k] = make([]measures, len(hotspot.Coverages))
	}
	for i, w := range bt.Weeks {
		wj := accuracyWeekJSON{Start: w.Start.Format(time.RFC3339), Reports: w.Reports, Forecasts: make([][]captureJSON, len(w.Captures))}
		for k, caps := range w.Captures {
			for ci, cp := range caps {
				hr, okHR := cp.HitRate(w.Reports)
				pai, okPAI := cp.PAI(w.Reports, n)
				pei, okPEI := cp.PEIStar(w.Reports, n)
				wj.Forecasts[k] = append(wj.Forecasts[k], captureJSON{Coverage: cp.Coverage, Cells: cp.Cells, Hits: cp.Hits,
					HitRate: ptr(hr, okHR), PAI: ptr(pai, okPAI), PEIStar: ptr(pei, okPEI)})
				m := &ms[k][ci]
				if okHR {
					m.hr = append(m.hr, hr)
				}
				if okPAI {
					m.pai = append(m.pai, pai)
				}
				if okPEI {
					m.pei = append(m.pei, pei)
				}
			}
		}
		out.Weeks[i] = wj
	}
	for k, f := range bt.Forecasts {
		fj := forecastJSON{Name: forecastName(f)}
		if !f.Naive() {
			h := hotspot.DurationText(f.HalfLife)
			fj.HalfLife = &h
		}
		for ci, cov := range hotspot.Coverages {
			m := ms[k][ci]
			fj.Summary = append(fj.Summary, summaryJSON{Coverage: cov, HitRate: spreadOf(m.hr), PAI: spreadOf(m.pai), PEIStar: spreadOf(m.pei)})
		}
		out.Forecasts = append(out.Forecasts, fj)
	}
	out.Best = []bestJSON{}
	for ci, cov := range hotspot.Coverages {
		best := -1
		var naive *float64
		for k, f := range bt.Forecasts {
			m := out.Forecasts[k].Summary[ci].PAI.Mean
			switch {
			case f.Naive():
				naive = m
			case m != nil && (best < 0 || *m > *out.Forecasts[best].Summary[ci].PAI.Mean):
				best = k
			}
		}
		if best >= 0 {
			out.Best = append(out.Best, bestJSON{Coverage: cov, Forecast: out.Forecasts[best].Name, PAI: *out.Forecasts[best].Summary[ci].PAI.Mean, NaivePAI: naive})
		}
	}
	return out
}

// Activity spans.
const activityWeeks = 26

type activityFlagJSON struct {
	Week     string  `json:"week"`
	Test     string  `json:"test"`
	Received int     `json:"received"`
	Expected float64 `json:"expected"`
	P        float64 `json:"p"`
}

type agencyActivityJSON struct {
	ID       string             `json:"id"`
	Name     string             `json:"name"`
	Kind     string             `json:"kind"`
	Counts   []int              `json:"counts"`
	ThisWeek int                `json:"this_week"`
	Usual    *float64           `json:"usual"`
	Silent   bool               `json:"silent"`
	Flags    []activityFlagJSON `json:"flags"`
}

type activityJSON struct {
	Weeks    []string             `json:"weeks"`
	ThisWeek string               `json:"this_week"`
	Rule     string               `json:"rule"`
	Agencies []agencyActivityJSON `json:"agencies"`
}

const silenceRule = "a week is flagged when the agency's count in it, or in the four weeks ending with it, is improbably low against the twelve weeks before (exact test of two Poisson rates, p < 0.001)"

// getActivity is every agency's reports received, week by week, for the
// last 26 whole weeks, with the weeks the silence rule flags.
func (s *Server) getActivity(c echo.Context) error {
	ctx := c.Request().Context()
	thisWeek := hotspot.WeekStart(time.Now())
	history := activityWeeks + activity.Baseline + activity.Span - 1
	starts := make([]time.Time, history)
	index := map[int64]int{}
	for i := range starts {
		starts[i] = thisWeek.AddDate(0, 0, -7*(history-i))
		index[starts[i].Unix()] = i
	}
	counts, err := s.db.ReceivedByWeek(ctx, starts[0])
	if err != nil {
		return err
	}
	agencies, err := s.db.Agencies(ctx)
	if err != nil {
		return err
	}
	byAgency := map[string][]int{}
	current := map[string]int{}
	for _, w := range counts {
		id := w.AgencyID.String()
		if byAgency[id] == nil {
			byAgency[id] = make([]int, history)
		}
		if i, ok := index[w.Week.Unix()]; ok {
			byAgency[id][i] = w.Reports
		} else if !w.Week.Before(thisWeek) {
			current[id] += w.Reports
		}
	}
	out := activityJSON{ThisWeek: thisWeek.Format(time.RFC3339), Rule: silenceRule, Agencies: []agencyActivityJSON{}}
	shown := history - activityWeeks
	for _, st := range starts[shown:] {
		out.Weeks = append(out.Weeks, st.Format(time.RFC3339))
	}
	for _, a := range agencies {
		cs := byAgency[a.ID.String()]
		if cs == nil {
			cs = make([]int, history)
		}
		// Weeks before the agency reported or was created are no baseline.
		first := history
		for i := range cs {
			if cs[i] > 0 || !starts[i].Before(hotspot.WeekStart(a.CreatedAt)) {
				first = i
				break
			}
		}
		aj := agencyActivityJSON{ID: a.ID.String(), Name: a.Name, Kind: a.Kind, Counts: cs[shown:], ThisWeek: current[a.ID.String()], Flags: []activityFlagJSON{}}
		if u, ok := activity.Usual(cs[first:], history-1-first); ok {
			aj.Usual = &u
		}
		for _, f := range activity.Flags(cs[first:], max(0, shown-first)) {
			wk := f.Week + first
			aj.Flags = append(aj.Flags, activityFlagJSON{Week: starts[wk].Format(time.RFC3339), Test: f.Test, Received: f.Received, Expected: f.Expected, P: f.P})
			aj.Silent = aj.Silent || wk == history-1
		}
		out.Agencies = append(out.Agencies, aj)
	}
	slices.SortStableFunc(out.Agencies, func(a, b agencyActivityJSON) int {
		switch {
		case a.Silent == b.Silent:
			return 0
		case a.Silent:
			return -1
		}
		return 1
	})
	ev := s.event(c, store.ActionConsult)
	ev.ObjectType, ev.ObjectID = "agencies", "activity"
	if err := s.consults.add(ctx, ev); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
