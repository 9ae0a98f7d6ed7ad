package hotspot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

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

// twoAgencies send the reports of cells a release may show: a cell of one
// agency's reports never is.
var twoAgencies = [2]Agency{agencyA, agencyB}

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

func TestReleaseShowsOnlyCellsOfKReportsOutsideTheLargestAgency(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	e := testEngine(t)
	var facts []Fact
	at := func(lat, lon float64, n int, ag Agency) {
		for range n {
			facts = append(facts, mkFact(lat, lon, 30, "drug_supply", ag, gradeB2))
		}
	}
	at(52.2053, 0.1218, 30, agencyB) // one agency's: never shown
	at(52.5749, -0.2503, 4, agencyB) // 4 outside the largest: below the floor
	at(52.5749, -0.2503, 6, agencyA)
	at(52.3306, -0.1846, 9, agencyA) // 9 outside the largest: K+4, always shown
	at(52.3306, -0.1846, 12, agencyB)
	apply(t, e, keyed(rng, facts...)...)
	hunt, _ := hexgrid.Of(52.3306, -0.1846, DefaultRes)
	var got []hexgrid.Cell
	for _, cell := range e.Hotspots(released(Release{K: 5})).Cells {
		got = append(got, cell.Cell)
		if cell.GiZ != 0 || cell.GiP != 0 {
			t.Errorf("cell %s publishes z %v, p %v", cell.Cell, cell.GiZ, cell.GiP)
		}
	}
	if !reflect.DeepEqual(got, []hexgrid.Cell{hunt}) {
		t.Errorf("shown %v, want only %v", got, hunt)
	}
}

func TestShowsDecidesOnAPerturbedCount(t *testing.T) {
	const k, n = 5, 200000
	rng := rand.New(rand.NewPCG(9, 9))
	for c := 0; c <= k+6; c++ {
		shown := 0
		for range n {
			if Shows(c, k, rng.Uint32()) {
				shown++
			}
		}
		want := ShowProbability(c, k)
		if got := float64(shown) / n; math.Abs(got-want) > 0.005 {
			t.Errorf("%d reports: shown %.3f of the time, want %.3f", c, got, want)
		}
		switch {
		case c < k && shown > 0:
			t.Errorf("%d reports, below the floor %d, shown %d times", c, k, shown)
		case c >= k+4 && shown != n:
			t.Errorf("%d reports hidden %d times", c, n-shown)
		}
	}
	// The decision and the published count are independent draws.
	agree := 0
	for range n {
		key := rng.Uint32()
		if Shows(k+2, k, key) == (PublishedCount(k+2, key) >= k+2) {
			agree++
		}
	}
	if got := float64(agree) / n; math.Abs(got-(0.7*0.7+0.3*0.3)) > 0.01 {
		t.Errorf("shown and published count agree %.3f of the time, want %.2f for independent draws", got, 0.7*0.7+0.3*0.3)
	}
}

func ExampleShowProbability() {
	for c := 4; c <= 9; c++ {
		fmt.Printf("%d: %.1f\n", c, ShowProbability(c, 5))
	}
	// Output:
	// 4: 0.0
	// 5: 0.1
	// 6: 0.3
	// 7: 0.7
	// 8: 0.9
	// 9: 1.0
}

// TestHiddenCellsMoveNoPublishedFigure adds reports to hidden cells next
// to shown ones and checks that nothing published changes: Gi*, trends and
// ranks are those of the shown cells.
func TestHiddenCellsMoveNoPublishedFigure(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	e := testEngine(t)
	var facts []Fact
	for i := range 400 {
		facts = append(facts, mkFact(52.5749+rng.NormFloat64()*0.004, -0.2503+rng.NormFloat64()*0.006, rng.Float64()*300, "drug_supply", twoAgencies[i%2], gradeB2))
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
	for i := range 300 {
		facts = append(facts, mkFact(52.2053+rng.NormFloat64()*0.005, 0.1218+rng.NormFloat64()*0.008, 7+rng.Float64()*200, "drug_supply", twoAgencies[i%2], gradeB2))
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

func TestReleaseSplits(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	e := testEngine(t)
	var facts []Fact
	for i := range 30 {
		ag := agencyB
		if i%2 == 0 {
			ag = agencyA
		}
		facts = append(facts, mkFact(52.2053, 0.1218, 10+rng.Float64()*100, "drug_supply", ag, gradeB2))
	}
	lone := mkFact(52.2053, 0.1218, 40, "weapons", agencyB, intel.Grading{Source: 1, Assessment: "A", Handling: "P"})
	apply(t, e, keyed(rng, append(facts, lone)...)...)
	p := released(Release{K: 5})
	cam, _ := hexgrid.Of(52.2053, 0.1218, DefaultRes)
	res := e.Hotspots(p)
	if len(res.Cells) != 1 || res.Cells[0].Cell != cam {
		t.Fatalf("shown %+v, want %s alone", res.Cells, cam)
	}
	splits, err := e.ReleaseSplits(context.Background(), p, res)
	if err != nil {
		t.Fatal(err)
	}
	ex := splits[cam]
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
	// Reports of one agency never open a split, with others' or alone.
	var own []Fact
	for range 4 {
		own = append(own, mkFact(52.2053, 0.1218, 30, "weapons", agencyA, gradeB2))
	}
	own = append(own, mkFact(52.2053, 0.1218, 30, "weapons", agencyB, gradeB2))
	for range 12 {
		own = append(own, mkFact(52.2053, 0.1218, 30, "violence", agencyA, gradeB2))
	}
	apply(t, e, keyed(rng, own...)...)
	splits, err = e.ReleaseSplits(context.Background(), p, e.Hotspots(p))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"weapons", "violence", Other} {
		if n, ok := splits[cam].ByCategory[name]; ok {
			t.Errorf("%s shown (%d) with fewer than 5 reports outside its largest agency", name, n)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.ReleaseSplits(ctx, p, res); !errors.Is(err, context.Canceled) {
		t.Errorf("splits on an ended context: %v", err)
	}
}

func TestReleaseLeavesOutWhatCountedAfterItsCutoff(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	e := testEngine(t)
	cutoff := WeekStart(asOf)
	var facts []Fact
	for i := range 40 {
		ag := agencyB
		if i%2 == 0 {
			ag = agencyA
		}
		f := mkFact(52.2053, 0.1218, 20, "drug_supply", ag, gradeB2)
		f.CountedAt = cutoff.Add(-time.Minute)
		if i >= 20 {
			f.CountedAt = cutoff // counted at the cut-off: the next release's
		}
		facts = append(facts, f)
	}
	apply(t, e, keyed(rng, facts...)...)
	p := released(Release{K: 5})
	p.AsOf = cutoff
	var before, all bucket
	for _, f := range facts {
		if f.CountedAt.Before(cutoff) {
			before.add(f.Key, 0)
		}
		all.add(f.Key, 0)
	}
	res := e.Hotspots(p)
	if len(res.Cells) != 1 || res.Cells[0].Reports != PublishedCount(before.n, before.key) {
		t.Fatalf("got %+v, want one cell of the %d reports counted before the cut-off", res.Cells, before.n)
	}
	next := p
	next.AsOf = cutoff.AddDate(0, 0, 7)
	if r := e.Hotspots(next); len(r.Cells) != 1 || r.Cells[0].Reports != PublishedCount(all.n, all.key) {
		t.Errorf("the next release: got %+v, want one cell of all %d reports", r.Cells, all.n)
	}
}
