package hexgrid

import (
	"math"
	"testing"
)

// TestVaguePositionsScoreNowhereFine checks the bound of a spread: a
// position known to 10 km scores in no cell at resolutions 9 and 10 (it
// would cover thousands), and spreads over at most about a thousand at 8.
func TestVaguePositionsScoreNowhereFine(t *testing.T) {
	var s Spreader
	const lat, lon, r = 52.5749, -0.2503, 10000
	cells, err := Containing(lat, lon)
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.SpreadAll(cells, lat, lon, r)
	if err != nil {
		t.Fatal(err)
	}
	byRes := map[int][]Share{}
	for _, sh := range all {
		byRes[sh.Cell.Resolution()] = append(byRes[sh.Cell.Resolution()], sh)
	}
	for _, res := range []int{9, 10} {
		if sh := byRes[res]; len(sh) != 1 || sh[0].Cell != cells.At(res) || sh[0].Weight != 0 {
			t.Errorf("res %d: %v, want the holding cell with weight 0", res, sh)
		}
	}
	for _, res := range []int{6, 7, 8} {
		sum := 0.0
		for _, sh := range byRes[res] {
			sum += sh.Weight
		}
		if len(byRes[res]) < 2 || len(byRes[res]) > 1200 || math.Abs(sum-1) > 1e-7 {
			t.Errorf("res %d: %d cells summing to %v", res, len(byRes[res]), sum)
		}
	}
}
