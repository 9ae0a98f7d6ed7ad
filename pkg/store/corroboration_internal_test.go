package store

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
)

// TestCorroborationRingHoldsTheDistance checks that every point within the
// corroboration distance of a report lies in the ring of cells that
// corroborate probes, over Great Britain, at the default distance, at
// the edges of the rule and at larger distances.
func TestCorroborationRingHoldsTheDistance(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	const earth = 6371008.8
	for _, metres := range []float64{150, 49, 51, 99, 300, 600} {
		cells, n := 0, 20000
		if metres > 150 {
			n = 4000
		}
		for range n {
			lat, lon := 49.9+8.8*r.Float64(), -6.5+8.3*r.Float64()
			near, err := corroborationCells(lat, lon, metres)
			if err != nil {
				t.Fatal(err)
			}
			cells += len(near)
			// The point at the distance, on a random bearing (a sphere is
			// exact enough at this scale).
			b, d := 2*math.Pi*r.Float64(), metres/earth
			φ1, λ1 := lat*math.Pi/180, lon*math.Pi/180
			φ2 := math.Asin(math.Sin(φ1)*math.Cos(d) + math.Cos(φ1)*math.Sin(d)*math.Cos(b))
			λ2 := λ1 + math.Atan2(math.Sin(b)*math.Sin(d)*math.Cos(φ1), math.Cos(d)-math.Sin(φ1)*math.Sin(φ2))
			to, err := hexgrid.Of(φ2*180/math.Pi, λ2*180/math.Pi, corroborationRes)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(near, to) {
				t.Fatalf("%.0f m from (%.5f, %.5f) lies outside the %d cells probed", metres, lat, lon, len(near))
			}
		}
		t.Logf("%.0f m: %.1f cells probed on average", metres, float64(cells)/float64(n))
	}
}
