package hotspot

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/stats"
)

// placed is a fact placed as ingest places a report: in the cells that
// hold its point, its weight spread by its precision.
func placed(t *testing.T, lat, lon, precision, daysAgo float64, ag Agency) Fact {
	t.Helper()
	r := intel.Report{Location: intel.Point{Lat: lat, Lon: lon}, PrecisionM: precision}
	if err := (&intel.Validator{}).Place(&r); err != nil {
		t.Fatal(err)
	}
	f := mkFact(lat, lon, daysAgo, "drug_supply", ag, gradeB2)
	f.Cell, f.Cells, f.Spread = r.Cell, r.Cells, r.Spread
	return f
}

// TestReportsCountInTheCellThatHoldsThem places reports on both sides of
// hexagon edges where the parent of the finest cell is not the cell that
// holds the point, and checks counts and scores at every resolution
// against LatLngToCell.
func TestReportsCountInTheCellThatHoldsThem(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	e := testEngine(t)
	var (
		facts []Fact
		pts   [][2]float64
	)
	differ := map[int]int{}
	for len(facts) < 400 {
		lat, lon := 52.15+rng.Float64()*0.3, -0.2+rng.Float64()*0.4
		fine, _ := hexgrid.Of(lat, lon, hexgrid.MaxRes)
		odd := false
		for res := hexgrid.MinRes; res < hexgrid.MaxRes; res++ {
			if c, _ := hexgrid.Of(lat, lon, res); c != fine.Parent(res) {
				differ[res]++
				odd = true
			}
		}
		if odd || rng.IntN(4) == 0 {
			facts = append(facts, placed(t, lat, lon, 5, rng.Float64()*100, agencyA))
			pts = append(pts, [2]float64{lat, lon})
		}
	}
	apply(t, e, facts...)
	for res := hexgrid.MinRes; res <= hexgrid.MaxRes; res++ {
		want := map[hexgrid.Cell]int{}
		score := map[hexgrid.Cell]float64{}
		p := Params{Res: res, AsOf: asOf}.Defaults(asOf)
		f := e.compile(p)
		for i, x := range facts {
			c, _ := hexgrid.Of(pts[i][0], pts[i][1], res)
			want[c]++
			score[c] += intel.Categories[categoryIdx[x.Category]].Weight * x.Grading.Confidence() * f.decay(x.ObservedAt.UnixMicro())
		}
		got := e.Hotspots(p)
		if len(got.Cells) != len(want) {
			t.Fatalf("res %d: %d cells, LatLngToCell gives %d", res, len(got.Cells), len(want))
		}
		for _, c := range got.Cells {
			if c.Reports != want[c.Cell] || math.Abs(c.Score-score[c.Cell]) > 1e-12*score[c.Cell] {
				t.Fatalf("res %d cell %s: %d reports, score %v; LatLngToCell gives %d, %v", res, c.Cell, c.Reports, c.Score, want[c.Cell], score[c.Cell])
			}
		}
	}
	if differ[8] == 0 || differ[9] == 0 {
		t.Fatalf("no point where the parent differs from the holding cell: %v", differ)
	}
	t.Logf("points whose finest cell's parent does not hold them, by resolution: %v", differ)
}

// TestEngineGiStarIsTheReference compares the engine's z of every cell of
// realistic queries with GiStar, the reference implementation, and with
// the defining formula written out here, over the whole study area.
func TestEngineGiStarIsTheReference(t *testing.T) {
	e := testEngine(t)
	clustered(t, e)
	for _, res := range []int{7, 8, 9} {
		p := Params{Res: res, AsOf: asOf}.Defaults(asOf)
		got := e.Hotspots(p)
		st := e.studies[res-hexgrid.MinRes]
		n := len(st.cells)
		x := make([]float64, n)
		for _, c := range got.Cells {
			x[st.index[c.Cell]] = c.Score
		}
		nb := make([][]int32, n)
		for i, c := range st.cells {
			disk, err := c.Disk(p.K)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range disk {
				if j, ok := st.index[d]; ok {
					nb[i] = append(nb[i], j)
				}
			}
		}
		ref := stats.GiStar(x, nb)
		var sum, sum2 float64
		for _, v := range x {
			sum, sum2 = sum+v, sum2+v*v
		}
		mean := sum / float64(n)
		s := math.Sqrt(sum2/float64(n) - mean*mean)
		worst := 0.0
		for _, c := range got.Cells {
			i := st.index[c.Cell]
			var local float64
			for _, j := range nb[i] {
				local += x[j]
			}
			k := float64(len(nb[i]))
			formula := (local - mean*k) / (s * math.Sqrt((float64(n)*k-k*k)/float64(n-1)))
			for _, want := range []float64{ref[i], formula} {
				d := math.Abs(c.GiZ-want) / math.Max(1, math.Abs(want))
				worst = max(worst, d)
				if d > 1e-12 {
					t.Fatalf("res %d cell %s: engine z %.17g, reference %.17g", res, c.Cell, c.GiZ, want)
				}
			}
		}
		t.Logf("res %d: %d cells of %d, worst difference %.1e", res, len(got.Cells), n, worst)
	}
}

// TestSpreadsSurviveCompaction loads a set of vague reports in no order of
// time and trims the engine as a load does (its spreads laid out again in
// the order queries read them), then withdraws most of them, so that the
// engine compacts the portions of their spreads, and checks that the
// reports kept score as they do in an engine that never held the others.
func TestSpreadsSurviveCompaction(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 15))
	var all []Fact
	for range 400 {
		all = append(all, placed(t, 52.15+rng.Float64()*0.3, -0.2+rng.Float64()*0.4, 1000, rng.Float64()*100, agencyA))
	}
	e := testEngine(t)
	apply(t, e, all...)
	e.Trim()
	held := e.portions.n
	var gone []Change
	for _, f := range all[100:] {
		gone = append(gone, Change{Fact: f})
	}
	// An amendment in place keeps its block and replaces its spread.
	moved := placed(t, 52.2, 0.1, 1000, 1, agencyA)
	moved.ID, moved.ObservedAt = all[0].ID, all[0].ObservedAt
	gone = append(gone, Change{Fact: moved, Live: true})
	if err := e.Apply(gone, nil, 2); err != nil {
		t.Fatal(err)
	}
	if e.dropped != 0 || e.portions.n >= held/2 {
		t.Fatalf("not compacted: %d portions of %d held, %d dropped", e.portions.n, held, e.dropped)
	}
	kept := testEngine(t)
	apply(t, kept, append([]Fact{moved}, all[1:100]...)...)
	for res := hexgrid.MinRes; res <= hexgrid.MaxRes; res++ {
		p := Params{Res: res, AsOf: asOf}.Defaults(asOf)
		got, want := e.Hotspots(p), kept.Hotspots(p)
		if len(got.Cells) != len(want.Cells) {
			t.Fatalf("res %d: %d cells, want %d", res, len(got.Cells), len(want.Cells))
		}
		for i := range got.Cells {
			g, w := got.Cells[i], want.Cells[i]
			if g.Cell != w.Cell || math.Abs(g.Score-w.Score) > 1e-12*w.Score || g.Reports != w.Reports {
				t.Fatalf("res %d: cell %s score %v reports %d, want %s %v %d", res, g.Cell, g.Score, g.Reports, w.Cell, w.Score, w.Reports)
			}
		}
	}
}
