package intel_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/demo"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// BenchmarkValidate measures validating the DEMO reports (placing them in
// the cells of every resolution and spreading them by precision
// included), placing alone, and the finest cell alone (what placing cost
// before reports were placed at every resolution):
//
//	go test -run '^$' -bench Validate ./pkg/intel
func BenchmarkValidate(b *testing.B) {
	area, err := intel.LoadServiceArea("")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	gen := demo.New(1, 20000, 3, now, area)
	var subs []intel.Submission
	for {
		r, err := gen.Next()
		if err != nil {
			break
		}
		subs = append(subs, r.Sub)
	}
	v := &intel.Validator{Area: area, Retention: 2190 * 24 * time.Hour, Skew: time.Hour, Now: func() time.Time { return now }, Spreader: &hexgrid.Spreader{}}
	b.Run("validate and place", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := v.Validate(subs[i%len(subs)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("placing alone", func(b *testing.B) {
		rs := make([]intel.Report, len(subs))
		for i, s := range subs {
			rs[i], _ = v.Validate(s)
		}
		i := 0
		for b.Loop() {
			if err := v.Place(&rs[i%len(rs)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("baseline: the finest cell alone", func(b *testing.B) {
		i := 0
		for b.Loop() {
			s := subs[i%len(subs)]
			var p intel.Point
			json.Unmarshal(s.Location, &p)
			if _, err := hexgrid.Of(p.Lat, p.Lon, hexgrid.MaxRes); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
