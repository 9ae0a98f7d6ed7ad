package hotspot

import (
	"context"
	"math"
	"time"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// CellWeeks are the reports of every study cell of one resolution, week
// by week over a run of weeks, as sums from the first week: the tally of
// any set of cells over any run of those weeks costs one step a cell.
// A report counts in the week of its observation and in the cell that
// holds its point.
type CellWeeks struct {
	Weeks int
	index map[hexgrid.Cell]int32
	cells []hexgrid.Cell
	// starts are the weeks' starts, µs since the epoch; salt, when not 0,
	// keys the draws of each cell (see Tally.Published).
	starts []int64
	salt   uint64
	// By study index, over weeks 0..Weeks: the reports, harm, cell key
	// and reports by agency of the weeks before each; nil for a cell with
	// no report in the run.
	n      [][]int32
	harm   [][]float64
	key    [][]uint32
	agency [][]agencySums
	// all is every cell's reports by agency.
	all []agencySums
	// spans are the tallies of every cell, by run of weeks, as Rest
	// computes them (many areas of a release share them).
	spans map[[2]int]Tally
}

// agencySums are one agency's reports, summed from the first week.
type agencySums struct {
	agency uint16
	n      []int32
}

// CellWeeks tallies the weeks starting at from (a Monday, Europe/London);
// with counted not zero (a release's cut-off), only the reports counted
// before it. Salt (secret, not 0) keys the cells' draws of published
// figures; an exact tally has none. It stops with ctx's error when ctx ends.
func (e *Engine) CellWeeks(ctx context.Context, res int, from time.Time, weeks int, counted time.Time, salt uint64) (*CellWeeks, error) {
	starts := make([]int64, weeks+1)
	for i := range starts {
		starts[i] = WeekStart(from).AddDate(0, 0, 7*i).UnixMicro()
	}
	before := int32(math.MaxInt32)
	if !counted.IsZero() {
		before = int32(counted.Unix() / 60)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	st := e.studies[res-hexgrid.MinRes]
	cw := &CellWeeks{Weeks: weeks, index: st.index, cells: st.cells, starts: starts, salt: salt, n: make([][]int32, len(st.cells)), harm: make([][]float64, len(st.cells)),
		key: make([][]uint32, len(st.cells)), agency: make([][]agencySums, len(st.cells))}
	resIdx := res - hexgrid.MinRes
	lo, hi := starts[0], starts[weeks]
	// A fact's week starts at or before its observation, and a week that
	// starts before hi ends by hi: the blocks of [lo, hi) hold every fact.
	for _, block := range e.window(lo, hi) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for i := range block {
			x := &block[i]
			w, idx := x.weekMicros(), x.idx[resIdx]
			if w < lo || w >= hi || idx < 0 || x.counted >= before || x.assess > 4 {
				continue
			}
			wk := weekIndex(starts, w) + 1 // summed into the weeks after it
			if cw.n[idx] == nil {
				cw.n[idx], cw.harm[idx], cw.key[idx] = make([]int32, weeks+1), make([]float64, weeks+1), make([]uint32, weeks+1)
			}
			cw.n[idx][wk]++
			cw.harm[idx][wk] += x.w
			cw.key[idx][wk] += x.key
			cw.agency[idx] = addAgency(cw.agency[idx], x.agency, wk, weeks)
			cw.all = addAgency(cw.all, x.agency, wk, weeks)
		}
	}
	for idx := range cw.n {
		if cw.n[idx] == nil {
			continue
		}
		for wk := 1; wk <= weeks; wk++ {
			cw.n[idx][wk] += cw.n[idx][wk-1]
			cw.harm[idx][wk] += cw.harm[idx][wk-1]
			cw.key[idx][wk] += cw.key[idx][wk-1]
		}
		accumulate(cw.agency[idx])
	}
	accumulate(cw.all)
	return cw, nil
}

func addAgency(as []agencySums, agency uint16, wk, weeks int) []agencySums {
	for i := range as {
		if as[i].agency == agency {
			as[i].n[wk]++
			return as
		}
	}
	a := agencySums{agency: agency, n: make([]int32, weeks+1)}
	a.n[wk] = 1
	return append(as, a)
}

func accumulate(as []agencySums) {
	for _, a := range as {
		for wk := 1; wk < len(a.n); wk++ {
			a.n[wk] += a.n[wk-1]
		}
	}
}

// weekIndex is the week of starts that the week starting at w is: weeks
// are found, not computed, since a week across a change of clocks is not
// 7 × 24 hours long.
func weekIndex(starts []int64, w int64) int {
	lo, hi := 0, len(starts)-1
	for lo < hi-1 {
		mid := (lo + hi) / 2
		if starts[mid] <= w {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// cellSalt is the secret part of the key of cell idx's draws over the
// weeks [lo, hi): the same cell and weeks always get the same.
func (cw *CellWeeks) cellSalt(idx int32, lo, hi int) uint32 {
	z := cw.salt ^ uint64(cw.cells[idx])*0x9e3779b97f4a7c15 ^ uint64(cw.starts[lo])*0xbf58476d1ce4e5b9 ^ uint64(cw.starts[hi])*0x94d049bb133111eb
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return uint32(z ^ (z >> 31))
}

// Tally is a set of reports: how many, their harm (the sum of harm × q,
// undecayed), their key and reports by agency; and the perturbations of
// its cells, each drawn from the cell's own reports in the same weeks.
type Tally struct {
	b    bucket
	harm float64
	// dn and dh sum the draws of the count and of the harm of each cell
	// that holds a report.
	dn, dh int
}

// Reports is the number of reports of t.
func (t Tally) Reports() int { return t.b.n }

// Harm is the harm of t's reports: the sum of their harm × q.
func (t Tally) Harm() float64 { return t.harm }

// Tally is the reports of cells in the weeks [lo, hi) of cw.
func (cw *CellWeeks) Tally(cells []hexgrid.Cell, lo, hi int) Tally {
	var t Tally
	seen := make(map[int32]bool, len(cells))
	for _, c := range cells {
		if idx, ok := cw.index[c]; ok && !seen[idx] {
			seen[idx] = true
			cw.add(&t, idx, lo, hi, 1)
		}
	}
	return t
}

// Rest is the reports of every study cell but except in the weeks
// [lo, hi): every cell's, less those of except. It is not safe for
// concurrent use.
func (cw *CellWeeks) Rest(except []hexgrid.Cell, lo, hi int) Tally {
	all, ok := cw.spans[[2]int{lo, hi}]
	if !ok {
		for idx := range cw.n {
			cw.add(&all, int32(idx), lo, hi, 0)
		}
		if cw.spans == nil {
			cw.spans = map[[2]int]Tally{}
		}
		cw.spans[[2]int{lo, hi}] = all
	}
	t := Tally{b: bucket{n: all.b.n, key: all.b.key}, harm: all.harm, dn: all.dn, dh: all.dh}
	for _, a := range cw.all {
		t.b.count(a.agency, a.n[hi]-a.n[lo])
	}
	seen := make(map[int32]bool, len(except))
	for _, c := range except {
		idx, ok := cw.index[c]
		if !ok || seen[idx] {
			continue
		}
		seen[idx] = true
		var out Tally
		cw.add(&out, idx, lo, hi, 1)
		t.b.n -= out.b.n
		t.b.key -= out.b.key
		t.harm -= out.harm
		t.dn -= out.dn
		t.dh -= out.dh
		for i, a := range out.b.agencies {
			t.b.count(a, -out.b.agencyN[i])
		}
	}
	return t
}

// add adds cell idx's reports of the weeks [lo, hi) to t, and its
// reports by agency when byAgency is 1; with a salt, the cell's draws,
// reports or none.
func (cw *CellWeeks) add(t *Tally, idx int32, lo, hi, byAgency int) {
	ns := cw.n[idx]
	empty := ns == nil || ns[hi] == ns[lo]
	var key uint32
	if !empty {
		key = cw.key[idx][hi] - cw.key[idx][lo]
	}
	if cw.salt != 0 {
		k := key + cw.cellSalt(idx, lo, hi)
		t.dn += draw(k, purposeCount)
		t.dh += draw(k, purposeHarm)
	}
	if empty {
		return
	}
	t.b.n += int(ns[hi] - ns[lo])
	t.b.key += key
	t.harm += cw.harm[idx][hi] - cw.harm[idx][lo]
	if byAgency == 1 {
		for _, a := range cw.agency[idx] {
			if n := a.n[hi] - a.n[lo]; n > 0 {
				t.b.count(a.agency, n)
			}
		}
	}
}

// Published is t as a release of floor k publishes it: nil figures when
// the rule of cells does not show it (fewer than k reports outside its
// largest agency, decided with its own draw). Otherwise its count changed
// by the sum of its cells' draws of the cell-key table, and its harm
// rounded to tens and changed by tens, as many as the sum of its cells'
// harm draws (as if each change were a report of the highest harm). Each
// cell of the set draws, whether it holds a report or not, keyed by its
// reports of those weeks and the secret salt: a cell added to many
// different areas adds the same change to each (averaging wears nothing
// away), the change says nothing of whether the cell holds a report, and
// no digit of harm is exact. Neither is below 0.
func (t Tally) Published(k int) (reports *int, harm *float64) {
	if !t.b.shown(k) {
		return nil, nil
	}
	n := max(0, t.b.n+t.dn)
	h := maxWeight * float64(max(0, int(math.Round(t.harm/maxWeight))+t.dh))
	return &n, &h
}

// purposeHarm is the purpose of the draw of a cell's published harm.
const purposeHarm uint64 = 0xd6e8feb86659fd93

// maxWeight is the largest harm × q of one report.
var maxWeight = func() float64 {
	w := 0.0
	for _, c := range intel.Categories {
		w = max(w, c.Weight)
	}
	return w
}()

// Add adds o's reports to t.
func (t *Tally) Add(o Tally) {
	t.b.merge(&o.b)
	t.harm += o.harm
	t.dn += o.dn
	t.dh += o.dh
}
