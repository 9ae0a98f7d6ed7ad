package hotspot

import (
	"fmt"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/demo"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// benchEngine holds n synthetic DEMO reports from six agencies.
func benchEngine(b *testing.B, n int) *Engine {
	b.Helper()
	area, err := intel.LoadServiceArea("")
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(area.Shape)
	if err != nil {
		b.Fatal(err)
	}
	v := &intel.Validator{Area: area, Retention: 2190 * 24 * time.Hour, Skew: time.Hour, Now: func() time.Time { return asOf }}
	agencies := make([]Agency, 6)
	for i := range agencies {
		agencies[i] = Agency{ID: [16]byte{byte(i + 1)}, Name: fmt.Sprint("agency ", i), Kind: "police"}
	}
	gen := demo.New(1, n, len(agencies), asOf, area)
	changes := make([]Change, 0, n)
	for {
		r, err := gen.Next()
		if err != nil {
			break
		}
		rep, verr := v.Validate(r.Sub)
		if verr != nil {
			b.Fatal(verr)
		}
		id := len(changes)
		changes = append(changes, Change{Live: true, Fact: Fact{ID: [16]byte{byte(id), byte(id >> 8), byte(id >> 16), 1},
			Cell: rep.Cell, ObservedAt: rep.ObservedAt, Category: rep.Category, AgencyID: agencies[r.Agency].ID, Grading: rep.Grading}})
	}
	if err := e.Apply(changes, agencies, int64(n)); err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkHotspots measures a whole-area query with Gi* and trends, for
// parameters never seen before (as_of moves by a minute each time), and
// the published view of the same data beside it:
//
//	go test -run '^$' -bench Hotspots -benchtime 20x ./pkg/hotspot
func BenchmarkHotspots(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		e := benchEngine(b, n)
		for _, res := range []int{7, 8, 9} {
			b.Run(fmt.Sprintf("reports=%d/res=%d", n, res), func(b *testing.B) {
				i := 0
				for b.Loop() {
					i++
					e.Hotspots(Params{Res: res, AsOf: asOf.Add(-time.Duration(i) * time.Minute)}.Defaults(asOf))
				}
			})
			// The same query as a partner's published view (its own agency
			// left out, whole weeks, perturbation), a day further back each time.
			b.Run(fmt.Sprintf("reports=%d/res=%d/published", n, res), func(b *testing.B) {
				i := 0
				for b.Loop() {
					i++
					day := DayStart(asOf.AddDate(0, 0, -i))
					e.Hotspots(Params{Res: res, AsOf: day, Release: &Release{K: 5, Exclude: [16]byte{1}}}.Defaults(asOf))
				}
			})
		}
	}
}
