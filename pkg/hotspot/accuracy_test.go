package hotspot

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// factIn is a report of ag in study cell c observed at t, counted at counted.
func factIn(c hexgrid.Cell, t, counted time.Time, ag Agency, g intel.Grading) Fact {
	center, _ := c.Center()
	at, _ := hexgrid.Of(center.Lat(), center.Lon(), hexgrid.StoreRes)
	return Fact{ID: uuid.New(), Cell: at, ObservedAt: t, CountedAt: counted, Category: "drug_supply", AgencyID: ag.ID, Grading: g}
}

// TestBackTestByHand checks hit rate, PAI and PEI* on a week built so that
// every figure can be worked out by hand.
func TestBackTestByHand(t *testing.T) {
	e := testEngine(t)
	const res = 6
	study := e.StudyArea(res) // sorted by cell
	if n := len(study); n != 150 {
		t.Fatalf("the derivation below is for 150 study cells at resolution 6, not %d", n)
	}
	// The week tested is the one before the week of asOf: it starts at T.
	asOf := time.Date(2026, 11, 11, 9, 0, 0, 0, time.UTC)
	T := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) // Monday, GMT
	day := 24 * time.Hour
	// c[1] … c[41]: every third study cell, in cell order.
	c := make([]hexgrid.Cell, 42)
	for j := 1; j <= 41; j++ {
		c[j] = study[3*j]
	}
	var facts []Fact
	// History: one report in c[j] observed j days and 12 hours before T
	// (j = 1 … 40), counted at once. Any half-life ranks c[j] j-th; the
	// naive count of the 4 weeks before T is 1 in c[1] … c[28] (c[28] is
	// 27.5 days back, c[29] 28.5) and 0 elsewhere, so it ranks c[1] … c[28]
	// by cell, which is j's order.
	for j := 1; j <= 40; j++ {
		at := T.Add(-time.Duration(j)*day + 12*time.Hour)
		facts = append(facts, factIn(c[j], at, at, agencyA, gradeB2))
	}
	// A report in c[41] two days before T but counted an hour after T: the
	// map as it stood at T did not know it (counted, it would rank c[41]
	// second and make its report of the week a hit).
	facts = append(facts, factIn(c[41], T.Add(-2*day), T.Add(time.Hour), agencyA, gradeB2))
	// The week: 2 reports in c[1], 1 in c[5], 3 in c[12], 1 in c[20], 2 in
	// c[35], 1 in c[41]: N = 10 in 6 cells, most first 3, 2, 2, 1, 1, 1.
	week := map[int]int{1: 2, 5: 1, 12: 3, 20: 1, 35: 2, 41: 1}
	for j, k := range week {
		for range k {
			at := T.Add(36 * time.Hour)
			facts = append(facts, factIn(c[j], at, at, agencyB, gradeB2))
		}
	}
	// Not of the week: suspected false (E), and one at the next week's start.
	facts = append(facts, factIn(c[2], T.Add(time.Hour), T.Add(time.Hour), agencyB, intel.Grading{Source: 2, Assessment: "E", Handling: "P"}),
		factIn(c[3], T.Add(7*day), T.Add(7*day), agencyB, gradeB2))
	apply(t, e, facts...)

	forecasts := []Forecast{{HalfLife: 14 * day}, {HalfLife: 56 * day}, {}}
	bt, err := e.Accuracy(context.Background(), Params{Res: res, AsOf: asOf}.Defaults(asOf), forecasts, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(bt.Weeks) != 1 || !bt.Weeks[0].Start.Equal(T) || bt.Weeks[0].Reports != 10 {
		t.Fatalf("weeks: %+v", bt.Weeks)
	}
	// The flagged cells: 5 % of 150 is 7.5, so 8 cells; 10 %, 15; 20 %, 30
	// (the naive map has only 28 cells of a count above zero, so 28).
	// The best map of f cells: f* = min(f, 6) = 6 here, h* = 10, so
	// PAI* = (10/10) / (6/150) = 25.
	type want struct {
		cells, hits      int
		hr, pai, peiStar float64
	}
	decayed := []want{
		{8, 3, 0.3, 0.3 / (8.0 / 150), 0.3 / (8.0 / 150) / 25}, // c[1..8]: 2 + 1; PAI 5.625, PEI* 0.225
		{15, 6, 0.6, 0.6 / (15.0 / 150), 6.0 / 25},             // c[1..15]: 2 + 1 + 3; PAI 6, PEI* 0.24
		{30, 7, 0.7, 0.7 / (30.0 / 150), 3.5 / 25},             // c[1..30]: 2 + 1 + 3 + 1; PAI 3.5, PEI* 0.14
	}
	naive := []want{decayed[0], decayed[1],
		{28, 7, 0.7, 0.7 / (28.0 / 150), 3.75 / 25}, // c[1..28]: 7 of 10 from 28 cells; PAI 3.75, PEI* 0.15
	}
	for k, fc := range forecasts {
		w := decayed
		if fc.Naive() {
			w = naive
		}
		for i, cp := range bt.Weeks[0].Captures[k] {
			hr, _ := cp.HitRate(10)
			pai, _ := cp.PAI(10, 150)
			pei, _ := cp.PEIStar(10, 150)
			got := want{cp.Cells, cp.Hits, hr, pai, pei}
			if got.cells != w[i].cells || got.hits != w[i].hits || !near(got.hr, w[i].hr) || !near(got.pai, w[i].pai) || !near(got.peiStar, w[i].peiStar) {
				t.Errorf("forecast %v at %.0f %%: got %+v, want %+v", fc.HalfLife, 100*cp.Coverage, got, w[i])
			}
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

func TestMeasuresOfAnEmptyWeekAreUndefined(t *testing.T) {
	c := Capture{Coverage: 0.1, Cells: 3}
	if _, ok := c.HitRate(0); ok {
		t.Error("a hit rate of a week without reports")
	}
	if _, ok := (Capture{}).PAI(4, 150); ok {
		t.Error("a PAI of a map that flags nothing")
	}
}

func TestCoverageByKindAndSilence(t *testing.T) {
	e := testEngine(t)
	study := e.StudyArea(7)
	council := Agency{ID: uuid.MustParse("00000000-0000-0000-0000-00000000000c"), Name: "C", Kind: "local_authority"}
	day := 24 * time.Hour
	p := Params{Res: 7, AsOf: asOf, From: asOf.Add(-28 * day)}.Defaults(asOf)
	now, before := asOf.Add(-3*day), asOf.Add(-40*day)
	apply(t, e, factIn(study[0], now, now, agencyA, gradeB2), factIn(study[0], now, now, agencyB, gradeB2), // both
		factIn(study[1], now, now, agencyA, gradeB2), factIn(study[1], before, before, agencyB, gradeB2), // police; education fell silent
		factIn(study[2], before, before, agencyA, gradeB2),         // nobody now; police fell silent
		factIn(study[3], asOf.Add(-80*day), now, agencyB, gradeB2)) // before both windows
	if err := e.Apply(nil, []Agency{council}, 7); err != nil {
		t.Fatal(err)
	}
	apply(t, e, factIn(study[0], now, now, council, gradeB2))
	got, err := e.Coverage(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d cells, want 3: %+v", len(got), got)
	}
	check := func(cc CellCoverage, reports, agencies int, kinds, silent []string) {
		t.Helper()
		if cc.Reports != reports || cc.Agencies != agencies || !slices.Equal(cc.Kinds, kinds) || !slices.Equal(cc.Silent(), silent) {
			t.Errorf("%s: got %+v (silent %v)", cc.Cell, cc, cc.Silent())
		}
	}
	check(got[0], 3, 3, []string{"education", "local_authority", "police"}, nil)
	check(got[1], 1, 1, []string{"police"}, []string{"education"})
	check(got[2], 0, 0, nil, []string{"police"})
}
