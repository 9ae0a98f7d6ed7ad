package hotspot

import (
	"context"
	"math"
	"time"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// The regions of an area query: a response area, the buffer around it and
// the control, the rest of the study area.
const (
	RegionArea = iota
	RegionBuffer
	RegionControl
	regions
)

// AreaQuery asks for the weekly figures of a response area, its buffer
// and the control: every study cell of the resolution in neither.
type AreaQuery struct {
	Res          int
	Area, Buffer []hexgrid.Cell
	// From is the Monday (Europe/London) of the first of Weeks weeks; a
	// report counts in the week of its observation.
	From  time.Time
	Weeks int
	// Counted, when not zero, is a release's cut-off: only the reports
	// counted before it count.
	Counted time.Time
}

// Tally is a set of reports: how many, their harm (the sum of harm × q,
// undecayed), their cell key and their reports by agency.
type Tally struct {
	b    bucket
	harm float64
}

// Reports is the number of reports of t.
func (t Tally) Reports() int { return t.b.n }

// Harm is the harm of t's reports: the sum of their harm × q.
func (t Tally) Harm() float64 { return t.harm }

// Add adds o's reports to t.
func (t *Tally) Add(o Tally) {
	t.b.merge(&o.b)
	t.harm += o.harm
}

// Published is t as a release of floor k publishes it: nil figures when
// the rule of cells does not show it (fewer than k reports outside its
// largest agency, decided with its own draw); else its count perturbed by
// the cell-key table and its harm perturbed by the same table times the
// largest harm weight (as if each change were a report of the highest
// harm, so that harm says no more of one report than a count does),
// rounded to a whole number and never below 0.
func (t Tally) Published(k int) (reports *int, harm *float64) {
	if !t.b.shown(k) {
		return nil, nil
	}
	n := PublishedCount(t.b.n, t.b.key)
	h := max(0, math.Round(t.harm+maxWeight*float64(draw(t.b.key, purposeHarm))))
	return &n, &h
}

// purposeHarm is the purpose of the draw of a set's published harm.
const purposeHarm uint64 = 0xd6e8feb86659fd93

// maxWeight is the largest harm × q of one report.
var maxWeight = func() float64 {
	w := 0.0
	for _, c := range intel.Categories {
		w = max(w, c.Weight)
	}
	return w
}()

// AreaWeeks is the tally of each region (RegionArea, RegionBuffer,
// RegionControl) in each week of q; it stops with ctx's error when ctx
// ends. A report counts in the cell that holds its point.
func (e *Engine) AreaWeeks(ctx context.Context, q AreaQuery) ([regions][]Tally, error) {
	var out [regions][]Tally
	for r := range out {
		out[r] = make([]Tally, q.Weeks)
	}
	from := WeekStart(q.From)
	weekStarts := make([]int64, q.Weeks+1)
	for i := range weekStarts {
		weekStarts[i] = from.AddDate(0, 0, 7*i).UnixMicro()
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	st := e.studies[q.Res-hexgrid.MinRes]
	region := make(map[int32]int, len(q.Area)+len(q.Buffer))
	for _, c := range q.Buffer {
		if i, ok := st.index[c]; ok {
			region[i] = RegionBuffer
		}
	}
	for _, c := range q.Area {
		if i, ok := st.index[c]; ok {
			region[i] = RegionArea
		}
	}
	resIdx := q.Res - hexgrid.MinRes
	before := int32(math.MaxInt32)
	if !q.Counted.IsZero() {
		before = int32(q.Counted.Unix() / 60)
	}
	lo, hi := weekStarts[0], weekStarts[q.Weeks]
	// A fact's week starts at or before its observation, so the blocks up
	// to the end of the last week hold every fact of the weeks.
	for _, block := range e.window(lo, hi) {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		for i := range block {
			x := &block[i]
			w := x.weekMicros()
			idx := x.idx[resIdx]
			if w < lo || w >= hi || idx < 0 || x.counted >= before || x.assess > 4 {
				continue
			}
			r, ok := region[idx]
			if !ok {
				r = RegionControl
			}
			wk := weekIndex(weekStarts, w)
			t := &out[r][wk]
			t.b.add(x.key, x.agency)
			t.harm += x.w
		}
	}
	return out, nil
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
