package hotspot

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/demo"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// benchChanges are n synthetic DEMO reports from six agencies, each
// placed as stored: in the cells that hold it at every resolution and
// spread by its precision, or, when placed is false, by its finest cell
// alone (its parents hold it at coarser resolutions and nothing spreads):
// the rule before placement, kept as the benchmarks' baseline.
func benchChanges(b *testing.B, n int, placed bool) (*Engine, []Change, []Agency) {
	b.Helper()
	area, err := intel.LoadServiceArea("")
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(area.Shape)
	if err != nil {
		b.Fatal(err)
	}
	v := &intel.Validator{Area: area, Retention: 2190 * 24 * time.Hour, Skew: time.Hour, Now: func() time.Time { return asOf }, Spreader: &hexgrid.Spreader{}}
	agencies := make([]Agency, 6)
	for i := range agencies {
		agencies[i] = Agency{ID: [16]byte{byte(i + 1)}, Name: fmt.Sprint("agency ", i), Kind: "police"}
	}
	changes := make([]Change, 0, n)
	err = demo.Validated(1, n, len(agencies), asOf, v, func(agency int, rep intel.Report) {
		id := len(changes)
		f := Fact{ID: [16]byte{byte(id), byte(id >> 8), byte(id >> 16), 1},
			Cell: rep.Cell, ObservedAt: rep.ObservedAt, Category: rep.Category, AgencyID: agencies[agency].ID, Grading: rep.Grading}
		if placed {
			f.Cells, f.Spread = rep.Cells, rep.Spread
		}
		changes = append(changes, Change{Live: true, Fact: f})
	})
	if err != nil {
		b.Fatal(err)
	}
	return e, changes, agencies
}

// benchEngine holds the n benchChanges.
func benchEngine(b *testing.B, n int, placed bool) *Engine {
	e, changes, agencies := benchChanges(b, n, placed)
	if err := e.Apply(changes, agencies, int64(n)); err != nil {
		b.Fatal(err)
	}
	e.Trim() // as a load does
	return e
}

// rules names the two placements the benchmarks compare.
var rules = []struct {
	name   string
	placed bool
}{{"parent", false}, {"placed", true}}

// BenchmarkHotspots measures a whole-area query with Gi* and trends, for
// parameters never seen before (as_of moves by a minute each time), and
// the published view of the same data beside it, with reports placed as
// stored and, as the baseline in the same run, by their finest cell alone:
//
//	go test -run '^$' -bench Hotspots -benchtime 20x ./pkg/hotspot
//
// Its floor sub-benchmarks are the engine's floor of each query.
func BenchmarkHotspots(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		for _, rule := range rules {
			e := benchEngine(b, n, rule.placed)
			for _, res := range []int{7, 8, 9, 10} {
				b.Run(fmt.Sprintf("reports=%d/res=%d/rule=%s", n, res, rule.name), func(b *testing.B) {
					i := 0
					for b.Loop() {
						i++
						e.Hotspots(Params{Res: res, AsOf: asOf.Add(-time.Duration(i) * time.Minute)}.Defaults(asOf))
					}
				})
				// The engine's floor: one thread that only sums the decayed
				// weights of the query's in-window facts, with no cells, Gi*
				// or trends; a query's ns/op over this one's is how far the
				// engine is from it.
				b.Run(fmt.Sprintf("reports=%d/res=%d/rule=%s/floor", n, res, rule.name), func(b *testing.B) {
					i := 0
					for b.Loop() {
						i++
						floorSink = e.floor(Params{Res: res, AsOf: asOf.Add(-time.Duration(i) * time.Minute)}.Defaults(asOf))
					}
				})
				// The same query as a partner's published view (its own agency
				// left out, whole weeks, perturbation), a day further back each time.
				b.Run(fmt.Sprintf("reports=%d/res=%d/rule=%s/published", n, res, rule.name), func(b *testing.B) {
					i := 0
					for b.Loop() {
						i++
						day := DayStart(asOf.AddDate(0, 0, -i))
						e.Hotspots(Params{Res: res, AsOf: day, Release: &Release{K: 5}}.Defaults(asOf))
					}
				})
			}
		}
	}
}

var floorSink float64

// floor is the sum of the decayed weights of p's in-window facts.
func (e *Engine) floor(p Params) float64 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	f := e.compile(p)
	sum := 0.0
	for _, b := range e.window(f.from, f.asOf) {
		for i := range b {
			if x := &b[i]; f.keep(x) {
				sum += x.w * f.decay(f.time(x))
			}
		}
	}
	return sum
}

// BenchmarkLoad measures what start-up spends holding 100,000 reports
// once read (Apply into an empty engine), placed as stored and, as the
// baseline, by their finest cell alone; B/op is the engine's footprint:
//
//	go test -run '^$' -bench Load -benchtime 10x -benchmem ./pkg/hotspot
func BenchmarkLoad(b *testing.B) {
	const n = 100_000
	for _, rule := range rules {
		_, changes, agencies := benchChanges(b, n, rule.placed)
		area, err := intel.LoadServiceArea("")
		if err != nil {
			b.Fatal(err)
		}
		b.Run("rule="+rule.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				e, err := New(area.Shape)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := e.Apply(changes, agencies, n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBackTest measures the default back-test (12 weeks, the menu's
// three half-lives and the naive count, window 365 days) at resolution 8,
// beside one hotspot query of the same resolution as the baseline in the
// same run (a back-test computes 12 maps of 4 forecasts):
//
//	go test -run '^$' -bench BackTest -benchtime 5x ./pkg/hotspot
func BenchmarkBackTest(b *testing.B) {
	forecasts := []Forecast{{HalfLife: 14 * day}, {HalfLife: 28 * day}, {HalfLife: 56 * day}, {}}
	for _, n := range []int{100_000, 1_000_000} {
		e := benchEngine(b, n, true)
		p := Params{Res: 8, AsOf: asOf}.Defaults(asOf)
		b.Run(fmt.Sprintf("reports=%d/backtest", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := e.Accuracy(context.Background(), p, forecasts, 12); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("reports=%d/hotspots", n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				e.Hotspots(Params{Res: 8, AsOf: asOf.Add(-time.Duration(i) * time.Minute)}.Defaults(asOf))
			}
		})
	}
}
