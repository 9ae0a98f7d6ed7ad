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
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/stats"
)

// CellScore is one hotspot cell and its numbers.
type CellScore struct {
	Cell       hexgrid.Cell
	Score      float64
	Reports    int
	Agencies   int
	Categories map[string]int
	LastSeen   time.Time
	Rank       int
	GiZ        float64
	GiP        float64
	Confidence int
	Trend      string
	// Sensitive is true when an OFFICIAL-SENSITIVE report is behind the cell.
	Sensitive bool
	// Corroborated is the number of the cell's reports that another
	// agency's report corroborates; SingleSource that every report of the
	// cell is of one agency.
	Corroborated int
	SingleSource bool
}

// Result is the answer to a query: the cells with reports, by rank.
type Result struct {
	Params     Params
	Cells      []CellScore
	StudyCells int
	Version    int64
}

// acc accumulates one cell's reports.
type acc struct {
	idx      int32
	score    float64
	reports  int
	cats     [16]int32
	agencies []uint16
	agencyN  []int32 // reports of each of agencies
	last     int64
	periods  []float64
	sens     bool
	corr     int
	// key is the cell key of the cell's reports (the sum of their record
	// keys mod 2^32).
	key uint32
}

// filter is Params compiled for the scoring loop.
type filter struct {
	from, asOf int64
	catMask    uint32
	agencyMask []bool
	minSource  uint8
	minAssess  uint8
	resIdx     int
	rate       float64 // ln 2 / half-life in µs: decay is exp(-rate·age)
	periodMic  int64
	periods    int
	// weekly (the published view) counts a fact at the start of its week,
	// in the whole weeks from the week of from to the week before asOf's;
	// asOf is then the start of asOf's week, so every day of a week gives
	// the same answer.
	weekly bool
	// before, in a release, is its cut-off in minutes since the epoch: a
	// fact counted at or after it is left out.
	before int32
}

func (e *Engine) compile(p Params) filter {
	f := filter{
		from: p.From.UnixMicro(), asOf: p.AsOf.UnixMicro(), minSource: uint8(p.MinSource),
		minAssess: uint8(min(intel.AssessmentRank(p.MinAssessment), 4)), resIdx: p.Res - hexgrid.MinRes,
		rate: math.Ln2 / float64(p.HalfLife.Microseconds()), periodMic: p.Period.Microseconds(), periods: p.periods(),
	}
	if len(p.Categories) == 0 {
		f.catMask = math.MaxUint32
	}
	for _, c := range p.Categories {
		if i, ok := categoryIdx[c]; ok {
			f.catMask |= 1 << i
		}
	}
	if len(p.Agencies) > 0 {
		f.agencyMask = make([]bool, len(e.agencies))
		for _, id := range p.Agencies {
			if i, ok := e.agencyIdx[id]; ok {
				f.agencyMask[i] = true
			}
		}
	}
	if p.Release != nil {
		f.weekly, f.from, f.asOf = true, WeekStart(p.From).UnixMicro(), WeekStart(p.AsOf).UnixMicro()
		f.periods = max(1, int((f.asOf-f.from)/f.periodMic))
		f.before = int32(WeekStart(p.AsOf).Unix() / 60)
	}
	return f
}

// time is when fact x counts: when it was observed, or in the published
// view the start of its week.
func (f *filter) time(x *fact) int64 {
	if f.weekly {
		return x.weekMicros()
	}
	return x.at
}

func (f *filter) keep(x *fact) bool {
	t := f.time(x)
	return t >= f.from && (t <= f.asOf && !f.weekly || t < f.asOf) && f.admits(x) && (!f.weekly || x.counted < f.before)
}

// admits reports whether fact x passes the filters other than time: its
// category, agency and grading, and a cell in the study area.
func (f *filter) admits(x *fact) bool {
	return f.catMask&(1<<x.cat) != 0 && (f.agencyMask == nil || f.agencyMask[x.agency]) && x.source <= f.minSource &&
		x.assess <= f.minAssess && x.idx[f.resIdx] >= 0
}

// decay is the weight of a report observed at µs t as of asOf,
// 2^(-age/half-life), written as exp(-rate·age): math.Exp has a faster
// implementation than math.Exp2 on amd64, and the results differ by a few
// units in the last place.
func (f *filter) decay(t int64) float64 {
	return math.Exp(-float64(f.asOf-t) * f.rate)
}

// Hotspots answers a query; p must have its defaults filled in.
func (e *Engine) Hotspots(p Params) *Result {
	r, _ := e.HotspotsContext(context.Background(), p)
	return r
}

// HotspotsContext is Hotspots that stops, with ctx's error, when ctx ends:
// a client that went away leaves no work behind. It sums the cells'
// reports, then takes three steps: z-scores, ranking, cells.
func (e *Engine) HotspotsContext(ctx context.Context, p Params) (*Result, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	st := e.studies[p.Res-hexgrid.MinRes]
	f := e.compile(p)
	n := len(st.cells)

	accs := e.accumulate(ctx, &f, n)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r := p.Release; r != nil {
		// Hidden cells take no part in any published figure: Gi*, trends
		// and ranks are those of the shown cells alone.
		accs = slices.DeleteFunc(accs, func(a acc) bool { return !r.shows(&a) })
	}
	nb := e.neighbours(st, p.K)
	z, th := zScores(accs, nb, n, p.FDR)
	trends := e.trends(ctx, accs, nb, n, f.periods)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var pub []figures
	if p.Release != nil {
		pub = published(accs, p.HalfLife)
	}
	res := &Result{Params: p, StudyCells: n, Version: e.version, Cells: make([]CellScore, 0, len(accs))}
	for rank, i := range ranking(st, accs, pub) {
		if out, ok := cellScore(st, &accs[i], p, rank+1, z, th, trends[i], pub, i); ok {
			res.Cells = append(res.Cells, out)
		}
	}
	return res, nil
}

// zScores are the Gi* z of every study cell, and the Benjamini–Hochberg
// thresholds of their p-values when fdr.
func zScores(accs []acc, nb *neighbours, n int, fdr bool) ([]float64, [3]float64) {
	x := make([]float64, n)
	for i := range accs {
		x[accs[i].idx] = accs[i].score
	}
	z := make([]float64, n)
	var sum, sum2 float64
	for _, v := range x {
		sum += v
		sum2 += v * v
	}
	mean, s := stats.Moments(sum, sum2, n)
	for i := range n {
		z[i] = nb.giStar(x, i, mean, s)
	}
	var th [3]float64
	if fdr {
		ps := make([]float64, n)
		for i, zi := range z {
			ps[i] = stats.PValue(zi)
		}
		th = stats.BHThresholds(ps)
	}
	return z, th
}

// ranking is the order of accs by score, ties by cell: by published
// figures only when pub is set. Sorting indexes moves less than sorting
// the accumulators.
func ranking(st *study, accs []acc, pub []figures) []int32 {
	order := make([]int32, len(accs))
	for i := range order {
		order[i] = int32(i)
	}
	if pub != nil {
		slices.SortFunc(order, func(i, j int32) int {
			a, b := &pub[i], &pub[j]
			return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(b.reports, a.reports),
				cmp.Compare(st.cells[accs[i].idx], st.cells[accs[j].idx]))
		})
		return order
	}
	slices.SortFunc(order, func(i, j int32) int {
		a, b := &accs[i], &accs[j]
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(st.cells[a.idx], st.cells[b.idx]))
	})
	return order
}

// cellScore is the answer's cell of accumulator a (index i) at rank; false
// when p's bbox leaves it out.
func cellScore(st *study, a *acc, p Params, rank int, z []float64, th [3]float64, trend string, pub []figures, i int32) (CellScore, bool) {
	c := st.cells[a.idx]
	if p.BBox != nil {
		if center, err := c.Center(); err != nil || !p.BBox.Contains(center) {
			return CellScore{}, false
		}
	}
	zi := z[a.idx]
	out := CellScore{
		Cell: c, Score: a.score, Reports: a.reports, Agencies: len(a.agencies), Categories: map[string]int{},
		Rank: rank, GiZ: zi, GiP: stats.PValue(zi), Trend: trend, Sensitive: a.sens,
		Corroborated: a.corr, SingleSource: len(a.agencies) == 1,
	}
	if p.FDR {
		out.Confidence = stats.FDRConfidence(zi, out.GiP, th)
	} else {
		out.Confidence = stats.Confidence(zi)
	}
	if pub != nil {
		// Neither the number of agencies nor the newest week is published:
		// each can move with one report. A release's categories are its
		// splits (ReleaseSplits), shown by the rule of its cells.
		out.Score, out.Reports, out.GiZ, out.GiP = pub[i].score, pub[i].reports, 0, 0
		out.Agencies = 0
		return out, true
	}
	if a.reports > 0 {
		// A cell may hold only shares of reports placed in its neighbours.
		out.LastSeen = time.UnixMicro(a.last).UTC()
	}
	for ci, cnt := range a.cats {
		if cnt > 0 {
			out.Categories[intel.Categories[ci].Code] = int(cnt)
		}
	}
	return out, true
}

// accumulate sums the reports of every cell that has some, reading only
// the blocks of facts the window overlaps. The facts are split between the
// processors; the parts are merged in a fixed order, so the same query
// gives the same sums.
func (e *Engine) accumulate(ctx context.Context, f *filter, n int) []acc {
	blocks := e.window(f.from, f.asOf)
	total := 0
	for _, b := range blocks {
		total += len(b)
	}
	parts := max(1, min(runtime.GOMAXPROCS(0), total/50000))
	results := make([][]acc, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[p] = e.accumulateRange(ctx, f, n, share(blocks, total, p, parts))
		}()
	}
	wg.Wait()
	if parts == 1 {
		return results[0]
	}
	slot := make([]int32, n)
	most := 0
	for _, part := range results {
		most += len(part)
	}
	out := make([]acc, 0, min(most, n))
	for _, part := range results {
		for _, a := range part {
			if slot[a.idx] == 0 {
				out = append(out, a)
				slot[a.idx] = int32(len(out))
				continue
			}
			m := &out[slot[a.idx]-1]
			m.score += a.score
			m.reports += a.reports
			m.key += a.key
			for i, c := range a.cats {
				m.cats[i] += c
			}
			for j, ag := range a.agencies {
				m.countAgency(ag, a.agencyN[j])
			}
			m.last = max(m.last, a.last)
			m.sens = m.sens || a.sens
			m.corr += a.corr
			for i, v := range a.periods {
				m.periods[i] += v
			}
		}
	}
	return out
}

// countAgency adds n reports of agency ag.
func (a *acc) countAgency(ag uint16, n int32) {
	if j := slices.Index(a.agencies, ag); j >= 0 {
		a.agencyN[j] += n
		return
	}
	a.agencies = append(a.agencies, ag)
	a.agencyN = append(a.agencyN, n)
}

// share is part p of parts equal parts of the total facts in blocks.
func share(blocks [][]fact, total, p, parts int) [][]fact {
	lo, hi := p*total/parts, (p+1)*total/parts
	var out [][]fact
	for _, b := range blocks {
		if lo < len(b) && hi > 0 {
			out = append(out, b[max(lo, 0):min(hi, len(b))])
		}
		lo, hi = lo-len(b), hi-len(b)
	}
	return out
}

// accChunk is the number of accs allocated at a time, with their periods.
const accChunk = 1024

func (e *Engine) accumulateRange(ctx context.Context, f *filter, n int, blocks [][]fact) []acc {
	// The cells' sums are kept in chunks that never move, numbered from 1
	// in slot: a growing slice would copy and clear all of them at each step.
	slot := make([]int32, n)
	var (
		chunks  [][]acc
		periods []float64
		count   int32
	)
	at := func(ci int32) *acc {
		k := slot[ci]
		if k == 0 {
			if count%accChunk == 0 {
				chunks = append(chunks, make([]acc, 0, accChunk))
				periods = make([]float64, accChunk*f.periods)
			}
			c := &chunks[len(chunks)-1]
			p := periods[len(*c)*f.periods : (len(*c)+1)*f.periods : (len(*c)+1)*f.periods]
			*c = append(*c, acc{idx: ci, periods: p})
			count++
			k, slot[ci] = count, count
		}
		k--
		return &chunks[k/accChunk][k%accChunk]
	}
	for _, b := range blocks {
		if ctx.Err() != nil {
			return nil
		}
		for i := range b {
			x := &b[i]
			if !f.keep(x) {
				continue
			}
			ci := x.idx[f.resIdx]
			t := f.time(x)
			per := f.periods - 1 - int((f.asOf-t)/f.periodMic)
			// The score goes where the report's precision puts it; the
			// report counts in the cell that holds its point. The published
			// view keeps both in the holding cell: a share of a hidden
			// cell's report would otherwise move a shown neighbour's score.
			if ps := e.spreadAt(x, f.resIdx); ps != nil && !f.weekly {
				s := x.w * f.decay(t)
				for _, p := range ps {
					a := at(p.idx)
					w := float64(p.w)
					a.score += s * w
					if per >= 0 {
						a.periods[per] += x.w * w
					}
				}
			} else {
				a := at(ci)
				a.score += x.w * f.decay(t)
				if per >= 0 {
					a.periods[per] += x.w
				}
			}
			a := at(ci) // after the portions: at may move accs
			a.reports++
			a.cats[x.cat]++
			a.key += x.key
			a.countAgency(x.agency, 1)
			a.last = max(a.last, t)
			a.sens = a.sens || x.sens
			if x.corr {
				a.corr++
			}
		}
	}
	accs := make([]acc, 0, count)
	for _, c := range chunks {
		accs = append(accs, c...)
	}
	return accs
}

// trends classifies every cell with reports by its per-period Gi*; the
// classes are in the order of accs. The periods are shared out between the
// processors.
func (e *Engine) trends(ctx context.Context, accs []acc, nb *neighbours, n, periods int) []string {
	out := make([]string, len(accs))
	if len(accs) == 0 {
		return out
	}
	zs := make([][]float64, len(accs))
	for i := range accs {
		zs[i] = make([]float64, periods)
	}
	workers := min(runtime.GOMAXPROCS(0), periods)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := make([]float64, n)
			for per := w; per < periods && ctx.Err() == nil; per += workers {
				var sum, sum2 float64
				for i := range accs {
					a := &accs[i]
					v := a.periods[per]
					x[a.idx] = v
					sum += v
					sum2 += v * v
				}
				mean, s := stats.Moments(sum, sum2, n)
				for i := range accs {
					zs[i][per] = nb.giStar(x, int(accs[i].idx), mean, s)
				}
				for i := range accs {
					x[accs[i].idx] = 0
				}
			}
		}()
	}
	wg.Wait()
	for i := range accs {
		out[i] = Classify(zs[i])
	}
	return out
}
