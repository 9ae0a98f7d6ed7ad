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
// corroborate probes, over the United Kingdom (Shetland and Northern
// Ireland included), at the default distance, at
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
			lat, lon := 49.8+11.2*r.Float64(), -8.7+10.7*r.Float64() // the United Kingdom and its waters
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

// TestCorroborationCellsFarFromTheUK: cells are larger near the equator;
// two reports 149 m apart near Sydney, whose cell centres are 232 m apart.
func TestCorroborationCellsFarFromTheUK(t *testing.T) {
	near, err := corroborationCells(-33.561552, 151.095877, 150)
	if err != nil {
		t.Fatal(err)
	}
	other, err := hexgrid.Of(-33.560744, 151.094594, corroborationRes)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(near, other) {
		t.Errorf("the cell of a report 149 m away is not probed")
	}
}
