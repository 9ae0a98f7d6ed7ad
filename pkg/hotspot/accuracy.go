package hotspot

import (
	"cmp"
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
)

// A back-test asks of past maps how well they foretold the next week: for
// each week, the map as it stood at the week's start (the reports observed
// in the window before it and counted by then, scored as Hotspots scores
// them) against the reports observed in the week that count now. The
// cells of the map are ranked by score, ties by cell; at each coverage c
// the map flags its first ⌈c·n⌉ cells of a score above zero (n the study
// cells; fewer when fewer have a score). With N the week's reports, h of
// them in the f flagged cells:
//
//	hit rate = h / N
//	PAI      = (h / N) / (f / n)             (Chainey, Tompson & Uhlig 2008)
//	PAI*     = (h* / N) / (f* / n)           the best map of f cells: the f* = min(f, cells with
//	                                         any of the week's reports) cells that hold most, h* reports
//	PEI*     = PAI / PAI*                    (Hunt 2016): 1 is the best any map of that area could do
//
// H3 cells of one resolution are taken as equal in area (within the
// service area they differ by well under 1 %).

// Coverages are the shares of the study area a back-test flags.
var Coverages = []float64{0.05, 0.10, 0.20}

// NaiveWeeks is the span of the naive forecast: a cell's count of reports
// in the four weeks before the week's start, undecayed and unweighted.
const NaiveWeeks = 4

// Forecast is one way of drawing the map: a half-life of the score, or
// (HalfLife 0) the naive count of the last NaiveWeeks weeks.
type Forecast struct {
	HalfLife time.Duration
}

// Naive reports whether f is the naive baseline.
func (f Forecast) Naive() bool { return f.HalfLife == 0 }

// Capture is what one forecast's map flagged at one coverage in one week.
type Capture struct {
	Coverage float64
	Cells    int // cells flagged
	Hits     int // the week's reports in them
	// BestCells and BestHits are the best map of Cells cells: the cells
	// that hold most of the week's reports, only those that hold any.
	BestCells, BestHits int
}

// HitRate, PAI and PEIStar are the capture's measures for a week of n
// reports over a study area of study cells; ok is false when the week has
// no reports or the map flags no cell.
func (c Capture) HitRate(n int) (float64, bool) {
	if n == 0 {
		return 0, false
	}
	return float64(c.Hits) / float64(n), true
}

// PAI is the hit rate over the share of the area flagged.
func (c Capture) PAI(n, study int) (float64, bool) {
	hr, ok := c.HitRate(n)
	if !ok || c.Cells == 0 {
		return 0, false
	}
	return hr / (float64(c.Cells) / float64(study)), true
}

// PEIStar is the PAI over the best PAI of a map of as many cells.
func (c Capture) PEIStar(n, study int) (float64, bool) {
	pai, ok := c.PAI(n, study)
	if !ok || c.BestCells == 0 {
		return 0, false
	}
	best := (float64(c.BestHits) / float64(n)) / (float64(c.BestCells) / float64(study))
	return pai / best, true
}

// WeekTest is one week of a back-test: its start, its reports, and each
// forecast's captures by coverage.
type WeekTest struct {
	Start    time.Time
	Reports  int
	Captures [][]Capture // [forecast][coverage]
}

// BackTest is the answer of Accuracy.
type BackTest struct {
	Res        int
	StudyCells int
	Window     time.Duration
	Forecasts  []Forecast
	Weeks      []WeekTest // oldest first
}

// Accuracy back-tests the forecasts over the weeks whole weeks before the
// week of p.AsOf, with the resolution, window (p.AsOf − p.From) and
// filters of p (its half-life, ring, period and bbox play no part). One
// pass over the facts of each week's window serves every forecast; the
// weeks are shared out between the processors.
func (e *Engine) Accuracy(ctx context.Context, p Params, forecasts []Forecast, weeks int) (*BackTest, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	st := e.studies[p.Res-hexgrid.MinRes]
	f := e.compile(p)
	out := &BackTest{Res: p.Res, StudyCells: len(st.cells), Window: p.AsOf.Sub(p.From), Forecasts: forecasts, Weeks: make([]WeekTest, weeks)}
	last := WeekStart(p.AsOf)
	var (
		wg   sync.WaitGroup
		next = make(chan int)
	)
	for range min(runtime.GOMAXPROCS(0), weeks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWeekScorer(len(st.cells), len(forecasts))
			for i := range next {
				start := last.AddDate(0, 0, -7*(weeks-i))
				out.Weeks[i] = w.test(e, st, &f, forecasts, out.Window, start, start.AddDate(0, 0, 7))
			}
		}()
	}
	for i := 0; i < weeks && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// weekScorer holds one worker's sums: a score per forecast and a count of
// the week's reports for every study cell.
type weekScorer struct {
	scores [][]float64
	counts []int32
}

func newWeekScorer(n, forecasts int) *weekScorer {
	w := &weekScorer{counts: make([]int32, n), scores: make([][]float64, forecasts)}
	for i := range w.scores {
		w.scores[i] = make([]float64, n)
	}
	return w
}

// test is the week from start to end: the maps as of start, the reports
// observed from start to end.
func (w *weekScorer) test(e *Engine, st *study, f *filter, forecasts []Forecast, window time.Duration, start, end time.Time) WeekTest {
	clear(w.counts)
	for _, s := range w.scores {
		clear(s)
	}
	t0, t1 := start.UnixMicro(), end.UnixMicro()
	from, naiveFrom := start.Add(-window).UnixMicro(), start.AddDate(0, 0, -7*NaiveWeeks).UnixMicro()
	counted := int32(start.Unix() / 60) // fact.counted is rounded down to the minute
	rates := make([]float64, len(forecasts))
	for i, fc := range forecasts {
		if !fc.Naive() {
			rates[i] = math.Ln2 / float64(fc.HalfLife.Microseconds())
		}
	}
	reports := 0
	for _, b := range e.window(min(from, naiveFrom), t1) {
		for i := range b {
			x := &b[i]
			if !f.admits(x) {
				continue
			}
			ci := x.idx[f.resIdx]
			if x.at >= t0 {
				if x.at < t1 {
					w.counts[ci]++
					reports++
				}
				continue
			}
			if x.counted >= counted {
				continue
			}
			for k, fc := range forecasts {
				switch {
				case fc.Naive():
					if x.at >= naiveFrom {
						w.scores[k][ci]++
					}
				case x.at >= from:
					s := x.w * math.Exp(-float64(t0-x.at)*rates[k])
					if ps := e.spreadAt(x, f.resIdx); ps != nil {
						for _, p := range ps {
							w.scores[k][p.idx] += s * float64(p.w)
						}
					} else {
						w.scores[k][ci] += s
					}
				}
			}
		}
	}
	out := WeekTest{Start: start.UTC(), Reports: reports, Captures: make([][]Capture, len(forecasts))}
	best := bestCounts(w.counts)
	for k := range forecasts {
		out.Captures[k] = captures(st, w.scores[k], w.counts, best)
	}
	return out
}

// bestCounts are the cells' positive counts, largest first.
func bestCounts(counts []int32) []int32 {
	var out []int32
	for _, c := range counts {
		if c > 0 {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b int32) int { return cmp.Compare(b, a) })
	return out
}

// captures ranks the cells of a score above zero (ties by cell) and
// counts the week's reports in the first cells at each coverage.
func captures(st *study, score []float64, counts []int32, best []int32) []Capture {
	var ranked []int32
	for i, s := range score {
		if s > 0 {
			ranked = append(ranked, int32(i))
		}
	}
	slices.SortFunc(ranked, func(a, b int32) int {
		return cmp.Or(cmp.Compare(score[b], score[a]), cmp.Compare(st.cells[a], st.cells[b]))
	})
	n := len(st.cells)
	out := make([]Capture, len(Coverages))
	for i, cov := range Coverages {
		c := Capture{Coverage: cov, Cells: min(int(math.Ceil(cov*float64(n)-1e-9)), len(ranked))}
		for _, ci := range ranked[:c.Cells] {
			c.Hits += int(counts[ci])
		}
		c.BestCells = min(c.Cells, len(best))
		for _, b := range best[:c.BestCells] {
			c.BestHits += int(b)
		}
		out[i] = c
	}
	return out
}
