package hotspot

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// keyed gives facts record keys drawn from rng, as ingest does.
func keyed(rng *rand.Rand, facts ...Fact) []Fact {
	for i := range facts {
		facts[i].Key = rng.Uint32()
	}
	return facts
}

// released is the published query of the defaults as of asOf's day.
func released(r Release) Params {
	return Params{AsOf: DayStart(asOf), Release: &r}.Defaults(asOf)
}

// cellsWithout compares two published answers' cells, ignoring the data version.
func sameCells(t *testing.T, what string, a, b *Result) {
	t.Helper()
	if !reflect.DeepEqual(a.Cells, b.Cells) {
		t.Errorf("%s: the published cells changed:\n%+v\n%+v", what, a.Cells, b.Cells)
	}
}

func TestLadder(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{
		{0, 0}, {-1, 0}, {math.NaN(), 0}, {0.013, 0.01}, {0.99, 0.5}, {1, 1}, {1.99, 1}, {2, 2}, {4.99, 2}, {5, 5},
		{9.999, 5}, {10, 10}, {100, 100}, {1000, 1000}, {999.9, 500}, {250, 200}, {7e6, 5e6},
	} {
		if got := Ladder(c.in); got != c.want {
			t.Errorf("Ladder(%v): got %v, want %v", c.in, got, c.want)
		}
	}
}

// TestPerturbationFollowsItsTable draws many sets' keys and checks that the
// changes follow the published table, have mean zero, and that every
// purpose draws independently of the others.
func TestPerturbationFollowsItsTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const n = 200000
	counts := map[int]int{}
	same, sum := 0, 0
	for range n {
		k := rng.Uint32()
		d := PublishedCount(100, k) - 100
		counts[d]++
		sum += d
		if PublishedCount(100, k) != 100+d {
			t.Fatal("the same key gave two counts")
		}
		if draw(k, purposeScore) == d {
			same++
		}
	}
	prev := 0.0
	for _, row := range Perturbation {
		want := (row.Below - prev) * n
		if got := float64(counts[row.Change]); math.Abs(got-want) > 5*math.Sqrt(want) {
			t.Errorf("change %+d: drawn %v times, want about %v", row.Change, got, want)
		}
		prev = row.Below
	}
	if mean := float64(sum) / n; math.Abs(mean) > 0.01 {
		t.Errorf("mean change %v, want 0", mean)
	}
	// Independent draws agree with probability Σ p² = 0.01+0.04+0.16+0.04+0.01.
	if got := float64(same) / n; math.Abs(got-0.26) > 0.01 {
		t.Errorf("count and score draws agree %.3f of the time, want 0.26", got)
	}
}

func TestReleaseShowsOnlyCellsOfKReports(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	e := testEngine(t)
	// A cell of 6 reports of B, one of 3 of B and 3 of A.
	var facts []Fact
	for range 6 {
		facts = append(facts, mkFact(52.2053, 0.1218, 30, "drug_supply", agencyB, gradeB2))
	}
	for i := range 6 {
		ag := agencyA
		if i < 3 {
			ag = agencyB
		}
		facts = append(facts, mkFact(52.5749, -0.2503, 30, "drug_supply", ag, gradeB2))
	}
	apply(t, e, keyed(rng, facts...)...)
	cam, _ := hexgrid.Of(52.2053, 0.1218, DefaultRes)
	pet, _ := hexgrid.Of(52.5749, -0.2503, DefaultRes)
	for _, c := range []struct {
		name string
		r    Release
		want []hexgrid.Cell
	}{
		{"nobody's excluded", Release{K: 5}, []hexgrid.Cell{cam, pet}},
		{"A's own reports do not count for A", Release{K: 5, Exclude: agencyA.ID}, []hexgrid.Cell{cam}},
		{"B sees A's cell only with 5 of others'", Release{K: 5, Exclude: agencyB.ID}, nil},
		{"dominance: 5 outside the largest agency", Release{K: 5, Dominance: true}, nil},
		{"dominance with K 3", Release{K: 3, Dominance: true}, []hexgrid.Cell{pet}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []hexgrid.Cell
			for _, cell := range e.Hotspots(released(c.r)).Cells {
				got = append(got, cell.Cell)
				if cell.GiZ != 0 || cell.GiP != 0 {
					t.Errorf("cell %s publishes z %v, p %v", cell.Cell, cell.GiZ, cell.GiP)
				}
			}
			if !reflect.DeepEqual(got, c.want) && !(len(got) == 2 && len(c.want) == 2 && got[0] == c.want[1]) {
				t.Errorf("shown %v, want %v", got, c.want)
			}
		})
	}
}

// TestHiddenCellsMoveNoPublishedFigure adds reports to hidden cells next
// to shown ones and checks that nothing published changes: Gi*, trends and
// ranks are those of the shown cells.
func TestHiddenCellsMoveNoPublishedFigure(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	e := testEngine(t)
	var facts []Fact
	for range 400 {
		facts = append(facts, mkFact(52.5749+rng.NormFloat64()*0.01, -0.2503+rng.NormFloat64()*0.015, rng.Float64()*300, "drug_supply", agencyB, gradeB2))
	}
	apply(t, e, keyed(rng, facts...)...)
	p := released(Release{K: 5})
	before := e.Hotspots(p)
	shown := map[hexgrid.Cell]bool{}
	for _, c := range before.Cells {
		shown[c.Cell] = true
	}
	held := map[hexgrid.Cell]bool{}
	for _, c := range e.Hotspots(Params{AsOf: asOf}.Defaults(asOf)).Cells {
		held[c.Cell] = true
	}
	// Three heavy reports in each empty neighbour of a shown cell.
	var extra []Fact
	for _, c := range before.Cells {
		disk, _ := c.Cell.Disk(1)
		for _, d := range disk {
			if shown[d] || held[d] {
				continue
			}
			held[d] = true
			ll, _ := d.Center()
			for range 3 {
				extra = append(extra, mkFact(ll.Lat(), ll.Lon(), 20, "child_exploitation", agencyB, intel.Grading{Source: 1, Assessment: "A", Handling: "P"}))
			}
		}
	}
	if len(extra) == 0 {
		t.Fatal("no hidden neighbour to add to")
	}
	// And one imprecise report (2 km) in a hidden cell, whose weight would
	// spread into shown neighbours in the full view.
	ll, _ := extra[0].Cell.Parent(DefaultRes).Center()
	extra = append(extra, placed(t, ll.Lat(), ll.Lon(), 2000, 20, agencyB))
	apply(t, e, keyed(rng, extra...)...)
	sameCells(t, "reports in hidden cells", before, e.Hotspots(p))
}

// TestReleaseCountsWholePastWeeks moves reports within their week and
// adds reports of the week still under way: the published answer does not
// change, and every as_of of one week gives the same counts.
func TestReleaseCountsWholePastWeeks(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	e := testEngine(t)
	var facts []Fact
	for range 300 {
		facts = append(facts, mkFact(52.2053+rng.NormFloat64()*0.005, 0.1218+rng.NormFloat64()*0.008, 7+rng.Float64()*200, "drug_supply", agencyB, gradeB2))
	}
	apply(t, e, keyed(rng, facts...)...)
	p := released(Release{K: 5})
	before := e.Hotspots(p)
	if len(before.Cells) == 0 {
		t.Fatal("no cell shown")
	}
	// The same reports, each observed at another moment of its week.
	moved := make([]Fact, len(facts))
	for i, f := range facts {
		w := WeekStart(f.ObservedAt)
		moved[i] = f
		moved[i].ObservedAt = w.Add(time.Duration(rng.Int64N(int64(WeekStart(w.Add(8 * day)).Sub(w)))))
	}
	now := mkFact(52.2053, 0.1218, 0, "violence", agencyB, gradeB2)
	now.ObservedAt = WeekStart(p.AsOf).Add(time.Minute)
	apply(t, e, append(moved, keyed(rng, now)...)...)
	sameCells(t, "reports moved within their weeks", before, e.Hotspots(p))

	// Every day of a week gives the same answer, for every window of the menu.
	week := WeekStart(p.AsOf)
	for _, w := range PublishedWindows {
		var first *Result
		for d := range 7 {
			q := p
			q.AsOf = DayStart(week.Add(time.Duration(d)*day + 12*time.Hour))
			q.From = q.AsOf.AddDate(0, 0, -int(w/day))
			res := e.Hotspots(q)
			if d == 0 {
				first = res
				if len(res.Cells) == 0 {
					t.Fatalf("window %v: no cell shown", w)
				}
				continue
			}
			sameCells(t, fmt.Sprintf("window %v, day %d of the week", w, d), first, res)
		}
	}
}

func TestExplainPublished(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	e := testEngine(t)
	var facts []Fact
	for range 30 {
		facts = append(facts, mkFact(52.2053, 0.1218, 10+rng.Float64()*100, "drug_supply", agencyB, gradeB2))
	}
	lone := mkFact(52.2053, 0.1218, 40, "weapons", agencyB, intel.Grading{Source: 1, Assessment: "A", Handling: "P"})
	apply(t, e, keyed(rng, append(facts, lone)...)...)
	p := released(Release{K: 5, Exclude: agencyA.ID})
	cam, _ := hexgrid.Of(52.2053, 0.1218, DefaultRes)
	ex, err := e.ExplainPublished(context.Background(), p, cam)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ex.ByCategory["weapons"]; ok {
		t.Errorf("a category of one report is shown: %v", ex.ByCategory)
	}
	if n := ex.ByCategory["drug_supply"]; n != 30 {
		t.Errorf("drug_supply: got %d, want 30 (30 ± 2, rounded to 5)", n)
	}
	for _, c := range append(ex.ByAge, ex.Periods...) {
		if c.Reports != nil && *c.Reports%SplitStep != 0 {
			t.Errorf("%s: %d reports, not rounded to %d", c.Label, *c.Reports, SplitStep)
		}
	}
	if _, ok := ex.ByGrading["1A"]; ok {
		t.Errorf("a grading of one report is shown: %v", ex.ByGrading)
	}
	for _, c := range append(ex.ByAge, ex.Periods...) {
		if c.Reports != nil && *c.Reports < 5-2 {
			t.Errorf("%s: %d reports shown", c.Label, *c.Reports)
		}
	}
	empty, _ := hexgrid.Of(52.4, 0.0, DefaultRes)
	if _, err := e.ExplainPublished(context.Background(), p, empty); err != ErrHidden {
		t.Errorf("an empty cell: got %v, want ErrHidden", err)
	}
	_ = uuid.Nil
}
