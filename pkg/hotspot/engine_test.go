package hotspot

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/paulmach/orb"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

var (
	asOf    = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	agencyA = Agency{ID: uuid.MustParse("00000000-0000-0000-0000-00000000000a"), Name: "A", Kind: "police"}
	agencyB = Agency{ID: uuid.MustParse("00000000-0000-0000-0000-00000000000b"), Name: "B", Kind: "education"}
)

func testEngine(t *testing.T) *Engine {
	t.Helper()
	area, err := intel.LoadServiceArea("")
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(area.Shape)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func mkFact(lat, lon float64, daysAgo float64, cat string, ag Agency, g intel.Grading) Fact {
	c, _ := hexgrid.Of(lat, lon, hexgrid.StoreRes)
	return Fact{ID: uuid.New(), Cell: c, ObservedAt: asOf.Add(-time.Duration(daysAgo * 24 * float64(time.Hour))), Category: cat, AgencyID: ag.ID, Grading: g}
}

var gradeB2 = intel.Grading{Source: 2, Assessment: "B", Handling: "P"}

func apply(t *testing.T, e *Engine, facts ...Fact) {
	t.Helper()
	chs := make([]Change, len(facts))
	for i, f := range facts {
		chs[i] = Change{Fact: f, Live: true}
	}
	if err := e.Apply(chs, []Agency{agencyA, agencyB}, int64(len(facts))); err != nil {
		t.Fatal(err)
	}
}

func TestScoreIsTheDefiningFormula(t *testing.T) {
	e := testEngine(t)
	// Three reports in one cell of central Cambridge.
	f1 := mkFact(52.2053, 0.1218, 0, "child_exploitation", agencyA, intel.Grading{Source: 1, Assessment: "A", Handling: "P"})
	f2 := mkFact(52.2053, 0.1218, 28, "drug_supply", agencyB, gradeB2)
	f3 := mkFact(52.2053, 0.1218, 56, "community_concern", agencyA, intel.Grading{Source: 3, Assessment: "D", Handling: "P"})
	// Suspected false (E) and out-of-window reports never count.
	f4 := mkFact(52.2053, 0.1218, 1, "violence", agencyA, intel.Grading{Source: 1, Assessment: "E", Handling: "P"})
	f5 := mkFact(52.2053, 0.1218, 400, "violence", agencyA, gradeB2)
	apply(t, e, f1, f2, f3, f4, f5)

	r := e.Hotspots(Params{AsOf: asOf}.Defaults(asOf))
	if len(r.Cells) != 1 {
		t.Fatalf("got %d cells, want 1", len(r.Cells))
	}
	c := r.Cells[0]
	// 10·1·1 + 5·(0.7·0.85)·2^-1 + 1·(0.4·0.4)·2^-2
	want := 10.0 + 5*0.595*0.5 + 0.16*0.25
	if math.Abs(c.Score-want)/want > 1e-12 {
		t.Errorf("score: got %.15f, want %.15f", c.Score, want)
	}
	if c.Reports != 3 || c.Agencies != 2 || c.Rank != 1 || c.Categories["drug_supply"] != 1 {
		t.Errorf("cell: %+v", c)
	}
	if !c.LastSeen.Equal(f1.ObservedAt) {
		t.Errorf("last seen: got %v, want %v", c.LastSeen, f1.ObservedAt)
	}
	if r.StudyCells != e.StudyCells(8) || r.StudyCells < 5000 {
		t.Errorf("study cells: got %d", r.StudyCells)
	}
	// Filters: only agency B, only drug supply, only source 1.
	for _, tt := range []struct {
		p    Params
		want float64
	}{
		{Params{Agencies: []uuid.UUID{agencyB.ID}}, 5 * 0.595 * 0.5},
		{Params{Categories: []string{"community_concern"}}, 0.16 * 0.25},
		{Params{MinSource: 1}, 10},
		{Params{MinAssessment: "B"}, 10 + 5*0.595*0.5},
		{Params{HalfLife: 14 * 24 * time.Hour}, 10 + 5*0.595*0.25 + 0.16*0.0625},
	} {
		tt.p.AsOf = asOf
		r := e.Hotspots(tt.p.Defaults(asOf))
		if len(r.Cells) != 1 || math.Abs(r.Cells[0].Score-tt.want) > 1e-12 {
			t.Errorf("%+v: got %+v, want score %v", tt.p, r.Cells, tt.want)
		}
	}
}

func TestApplyUpdatesAndRemoves(t *testing.T) {
	e := testEngine(t)
	f := mkFact(52.5749, -0.2503, 0, "violence", agencyA, gradeB2)
	apply(t, e, f)
	moved := f
	moved.Cell, _ = hexgrid.Of(52.2053, 0.1218, hexgrid.StoreRes)
	if err := e.Apply([]Change{{Fact: moved, Live: true}}, nil, 7); err != nil {
		t.Fatal(err)
	}
	r := e.Hotspots(Params{AsOf: asOf}.Defaults(asOf))
	if len(r.Cells) != 1 || r.Cells[0].Cell != moved.Cell.Parent(8) || e.Len() != 1 || r.Version != 7 {
		t.Fatalf("after moving: %+v (len %d)", r.Cells, e.Len())
	}
	if err := e.Apply([]Change{{Fact: Fact{ID: f.ID}, Live: false}}, nil, 8); err != nil {
		t.Fatal(err)
	}
	if r := e.Hotspots(Params{AsOf: asOf}.Defaults(asOf)); len(r.Cells) != 0 || e.Len() != 0 {
		t.Fatalf("after removing: %+v", r.Cells)
	}
}

// Trim copies the blocks and the index of places the load grew: answers
// stay the same, and updates and removals still find every fact.
func TestTrimKeepsEveryFact(t *testing.T) {
	e := testEngine(t)
	var facts []Fact
	for i := range 300 {
		facts = append(facts, mkFact(52.2+float64(i%17)*0.01, 0.1+float64(i%13)*0.01, float64(i%90), "violence", agencyA, gradeB2))
	}
	apply(t, e, facts...)
	p := Params{AsOf: asOf, Res: 9}.Defaults(asOf)
	before := e.Hotspots(p)
	e.Trim()
	if after := e.Hotspots(p); !reflect.DeepEqual(before.Cells, after.Cells) {
		t.Fatal("answers changed with Trim")
	}
	var chs []Change
	for i, f := range facts {
		if i%2 == 0 {
			chs = append(chs, Change{Fact: Fact{ID: f.ID}})
		} else {
			f.Category = "weapons"
			chs = append(chs, Change{Fact: f, Live: true})
		}
	}
	if err := e.Apply(chs, nil, 1000); err != nil {
		t.Fatal(err)
	}
	r := e.Hotspots(p)
	n := 0
	for _, c := range r.Cells {
		n += c.Reports
		if c.Categories["weapons"] != c.Reports {
			t.Fatalf("cell %s: %+v", c.Cell, c.Categories)
		}
	}
	if e.Len() != 150 || n != 150 {
		t.Fatalf("after trimming, removing half and amending the rest: %d facts, %d counted", e.Len(), n)
	}
}

// An amended observation time moves a fact between the blocks of time the
// engine keeps; windows and the span follow it, and removals leave the
// other facts of a block in place.
func TestAmendedTimeMovesBetweenBlocks(t *testing.T) {
	e := testEngine(t)
	f := mkFact(52.2053, 0.1218, 1, "violence", agencyA, gradeB2)
	others := []Fact{mkFact(52.5749, -0.2503, 2, "violence", agencyA, gradeB2), mkFact(52.5749, -0.2503, 3, "drug_supply", agencyB, gradeB2)}
	apply(t, e, append([]Fact{f}, others...)...)
	old := f
	old.ObservedAt = asOf.Add(-200 * 24 * time.Hour)
	if err := e.Apply([]Change{{Fact: old, Live: true}}, nil, 4); err != nil {
		t.Fatal(err)
	}
	recent := Params{AsOf: asOf, From: asOf.Add(-30 * 24 * time.Hour)}.Defaults(asOf)
	cells := func(p Params) map[hexgrid.Cell]int {
		out := map[hexgrid.Cell]int{}
		for _, c := range e.Hotspots(p).Cells {
			out[c.Cell] = c.Reports
		}
		return out
	}
	cambridge, peterborough := f.Cell.Parent(8), others[0].Cell.Parent(8)
	if got := cells(recent); len(got) != 1 || got[peterborough] != 2 {
		t.Fatalf("last 30 days after the amendment: %v, want only Peterborough's 2", got)
	}
	if got := cells(Params{AsOf: asOf}.Defaults(asOf)); got[cambridge] != 1 || got[peterborough] != 2 {
		t.Fatalf("the year after the amendment: %v", got)
	}
	if first, last, ok := e.Span(); !ok || !first.Equal(old.ObservedAt) || !last.Equal(others[0].ObservedAt) {
		t.Fatalf("span: %v to %v, want %v to %v", first, last, old.ObservedAt, others[0].ObservedAt)
	}
	if err := e.Apply([]Change{{Fact: Fact{ID: others[0].ID}}}, nil, 5); err != nil {
		t.Fatal(err)
	}
	if got := cells(recent); got[peterborough] != 1 || e.Len() != 2 {
		t.Fatalf("after removing one of Peterborough's: %v (len %d)", got, e.Len())
	}
}

// share cuts blocks into parts of equal size that together are all of
// them, in order.
func TestShare(t *testing.T) {
	blocks := [][]fact{make([]fact, 3), make([]fact, 0), make([]fact, 5), make([]fact, 2)}
	for i, b := range blocks {
		for j := range b {
			b[j].at = int64(i*100 + j)
		}
	}
	for parts := 1; parts <= 10; parts++ {
		var got []int64
		for p := range parts {
			n := 0
			for _, b := range share(blocks, 10, p, parts) {
				for _, x := range b {
					got = append(got, x.at)
				}
				n += len(b)
			}
			if n < 10/parts || n > 10/parts+1 {
				t.Errorf("%d parts: part %d has %d facts", parts, p, n)
			}
		}
		want := []int64{0, 1, 2, 200, 201, 202, 203, 204, 300, 301}
		if !slices.Equal(got, want) {
			t.Errorf("%d parts: %v, want %v", parts, got, want)
		}
	}
}

// clustered makes a hot cluster in Peterborough, a handful of lone reports
// and scattered noise.
func clustered(t *testing.T, e *Engine) {
	rng := rand.New(rand.NewPCG(1, 1))
	var facts []Fact
	for range 300 {
		facts = append(facts, mkFact(52.5749+rng.NormFloat64()*0.002, -0.2503+rng.NormFloat64()*0.003, rng.Float64()*360, "drug_supply", agencyA, gradeB2))
	}
	for range 200 {
		facts = append(facts, mkFact(52.15+rng.Float64()*0.4, -0.3+rng.Float64()*0.5, rng.Float64()*360, "community_concern", agencyB, gradeB2))
	}
	apply(t, e, facts...)
}

func TestHotClusterIsSignificantAndExplained(t *testing.T) {
	e := testEngine(t)
	clustered(t, e)
	p := Params{AsOf: asOf, FDR: true}.Defaults(asOf)
	r := e.Hotspots(p)
	top := r.Cells[0]
	if top.Confidence != 99 || top.GiZ < 2.576 || top.Trend == TrendNone {
		t.Fatalf("top cell: %+v, want a 99%% hot spot with a trend", top)
	}
	bound := orb.Bound{Min: orb.Point{-0.26, 52.57}, Max: orb.Point{-0.24, 52.58}}
	p.BBox = &bound
	for _, c := range e.Hotspots(p).Cells {
		center, _ := c.Cell.Center()
		if !bound.Contains(center) {
			t.Errorf("bbox let %s through", c.Cell)
		}
	}
	p.BBox = nil
	ex, err := e.Explain(context.Background(), p, top.Cell)
	if err != nil {
		t.Fatal(err)
	}
	var sum, weekly float64
	for _, s := range ex.ByCategory {
		sum += s
	}
	for _, w := range ex.Weeks {
		weekly += w.Score
	}
	if math.Abs(sum-top.Score) > 1e-9 || math.Abs(weekly-top.Score) > 1e-9 || ex.Cell.Rank != 1 || len(ex.Neighbours) != 6 {
		t.Fatalf("explanation: category sum %v, weekly sum %v, score %v, rank %d, %d neighbours", sum, weekly, top.Score, ex.Cell.Rank, len(ex.Neighbours))
	}
	if _, err := e.Explain(context.Background(), p, top.Cell.Parent(7)); err == nil {
		t.Fatal("Explain at another resolution: got no error")
	}
}

func TestQueriesStopWhenTheContextEnds(t *testing.T) {
	e := testEngine(t)
	clustered(t, e)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := Params{AsOf: asOf}.Defaults(asOf)
	if r, err := e.HotspotsContext(ctx, p); !errors.Is(err, context.Canceled) || r != nil {
		t.Errorf("hotspots on an ended context: %v, %v", r, err)
	}
	top := e.Hotspots(p).Cells[0].Cell
	if _, err := e.Explain(ctx, p, top); !errors.Is(err, context.Canceled) {
		t.Errorf("explain on an ended context: %v", err)
	}
}
