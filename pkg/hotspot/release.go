package hotspot

import (
	"context"
	"errors"
	"math"
	"time"
	// The published view's grid is the day and the week of Europe/London,
	// wherever the binary runs.
	_ "time/tzdata"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// Release makes a query's answer a table of a weekly release, the
// published view of callers who may not read raw reports. Such an answer
//
//   - counts the reports counted (stored, and evaluated where evaluation
//     applies) before its cut-off, the Monday 00:00 (Europe/London) of
//     AsOf's week: what happens after it moves nothing;
//   - counts a report by the Monday of its week, in the whole weeks from
//     the week of From to the week before the cut-off, and decays scores
//     from the cut-off: no time finer than a week enters it;
//   - shows a cell only when a perturbed count of its reports outside its
//     largest agency (its own draw, see Shows) reaches K+ShowMargin, and
//     never below K: no agency, its own reports subtracted, is left with
//     fewer than K, and no exact count decides what is shown;
//   - computes Gi* and trends over the shown cells alone, so that hidden
//     cells move no published figure;
//   - publishes counts through the cell-key method (Perturbation), scores
//     as perturbed bands of the 1-2-5 ladder (PublishedScore), splits only
//     with K reports or more, rounded, and no z, p or exact score.
type Release struct {
	// K is the floor: no cell holding fewer than K reports outside its
	// largest agency is ever shown, and no split of fewer than K.
	K int
}

// The published view's menu: the only windows, half-lives and periods it
// answers, and its ring radius.
// The windows are whole weeks, so that both ends of a window move on the
// same day: one set of weeks a week per window.
var (
	PublishedWindows   = []time.Duration{91 * day, 182 * day, 364 * day}
	PublishedHalfLives = []time.Duration{14 * day, 28 * day, 56 * day}
	PublishedPeriods   = []time.Duration{28 * day}
)

// PublishedK is the only ring radius of the published view.
const PublishedK = DefaultK

const day = 24 * time.Hour

// London is the time zone of the published view's days and weeks.
var London = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return loc
}()

// DayStart is midnight, Europe/London, at the start of t's day.
func DayStart(t time.Time) time.Time {
	y, m, d := t.In(London).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, London)
}

// WeekStart is midnight, Europe/London, at the start of the Monday of t's week.
func WeekStart(t time.Time) time.Time {
	l := t.In(London)
	y, m, d := l.Date()
	back := (int(l.Weekday()) + 6) % 7
	return time.Date(y, m, d-back, 0, 0, 0, 0, London)
}

// Perturbation is the cell-key perturbation table. A set of reports has a
// key, the sum of its reports' record keys mod 2^32; mixed with the
// purpose of the figure and read as a fraction u of [0, 1), it picks the
// first row with u < Below, and the published count is the true count plus
// Change. The table is fixed and published: the same set of reports always
// gets the same figure, and two sets that differ by one report get
// unrelated changes, so subtracting two figures gives the difference plus
// noise of variance 2.4. It has mean zero and is used only on counts of at
// least K, so no published count is below K-2.
var Perturbation = []struct {
	Below  float64
	Change int
}{{0.10, -2}, {0.30, -1}, {0.70, 0}, {0.90, +1}, {1, +2}}

// Purposes of a set's key: the figures of one set must not share a draw.
const (
	purposeCount uint64 = 0x9e3779b97f4a7c15
	purposeScore uint64 = 0xbf58476d1ce4e5b9
)

// draw is the perturbation of the set with key for purpose.
func draw(key uint32, purpose uint64) int {
	// splitmix64's finaliser: a uniform key gives a uniform, independent u
	// for each purpose.
	z := uint64(key) + purpose
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	u := float64(z>>11) / (1 << 53)
	for _, row := range Perturbation {
		if u < row.Below {
			return row.Change
		}
	}
	return 0
}

// PublishedCount is the published count of a set of n reports with key.
func PublishedCount(n int, key uint32) int { return n + draw(key, purposeCount) }

// PublishedScore is the published score of a set with exact score s
// (under half-life h) and key: s changed by -20 % to +20 % in steps of
// 10 % (the rows of Perturbation, drawn afresh for each half-life, so that
// the ratio of two half-lives' scores stays unknown), then floored to the
// 1-2-5 ladder (…, 1, 2, 5, 10, 20, …). A published 20 reads "20 to 50".
func PublishedScore(s float64, key uint32, h time.Duration) float64 {
	return Ladder(s * (1 + 0.1*float64(draw(key, purposeScore^uint64(h)))))
}

// Ladder floors v > 0 to the 1-2-5 series; 0 otherwise.
func Ladder(v float64) float64 {
	if !(v > 0) || math.IsInf(v, 0) {
		return 0
	}
	base := math.Pow(10, math.Floor(math.Log10(v)))
	if base*10 <= v {
		base *= 10
	}
	switch m := v / base; {
	case m >= 5:
		return 5 * base
	case m >= 2:
		return 2 * base
	default:
		return base
	}
}

// Other names the merged splits of fewer than K reports each.
const Other = "other"

// bucket is a split's true count, key, and reports by agency.
type bucket struct {
	n        int
	key      uint32
	agencies []uint16
	agencyN  []int32
}

func (b *bucket) add(key uint32, agency uint16) {
	b.n++
	b.key += key
	b.count(agency, 1)
}

func (b *bucket) count(agency uint16, n int32) {
	for i, a := range b.agencies {
		if a == agency {
			b.agencyN[i] += n
			return
		}
	}
	b.agencies = append(b.agencies, agency)
	b.agencyN = append(b.agencyN, n)
}

// merge adds o's reports to b.
func (b *bucket) merge(o *bucket) {
	b.n += o.n
	b.key += o.key
	for i, a := range o.agencies {
		b.count(a, o.agencyN[i])
	}
}

// shown is whether a release of floor k shows the split: by the rule of
// its cells (Shows), on its reports outside its largest agency, so that
// no agency opens a split with reports of its own.
func (b *bucket) shown(k int) bool {
	largest := int32(0)
	for _, n := range b.agencyN {
		largest = max(largest, n)
	}
	return Shows(b.n-int(largest), k, b.key)
}

// SplitStep is what published splits are rounded to: a split (a category,
// a grading, a period…) is a small count, and two releases a week apart
// must not show one report entering it.
const SplitStep = 5

// PublishedSplit is the published count of a split of n reports with key:
// perturbed, then rounded to the nearest SplitStep (at least SplitStep).
func PublishedSplit(n int, key uint32) int {
	v := (PublishedCount(n, key) + SplitStep/2) / SplitStep * SplitStep
	return max(v, SplitStep)
}

// publishSplits is the published form of named buckets: each bucket a
// release of floor k shows, with its published split count; the others
// merged into Other, shown by the same rule.
func publishSplits(bs map[string]*bucket, k int) map[string]int {
	out := map[string]int{}
	var other bucket
	for name, b := range bs {
		if b.shown(k) {
			out[name] = PublishedSplit(b.n, b.key)
		} else {
			other.merge(b)
		}
	}
	if other.shown(k) {
		out[Other] = PublishedSplit(other.n, other.key)
	}
	return out
}

// ShowMargin is how far above K the perturbed count of a cell must reach
// for it to be shown: with Perturbation's changes of -2 to +2, a cell of K
// reports is shown with probability 0.1 and one of K+4 or more always.
const ShowMargin = 2

// purposeShow is the purpose of the draw that decides whether a cell is shown.
const purposeShow uint64 = 0x94d049bb133111eb

// Shows reports whether a release of floor k shows a cell holding n
// reports outside its largest agency, whose reports have the cell key key:
// n must be at least k, and n plus the cell's own draw (independent of its
// published figures') at least k+ShowMargin. The same set of reports is
// always decided the same way; a set one report larger or smaller is
// decided afresh.
func Shows(n, k int, key uint32) bool {
	return n >= k && n+draw(key, purposeShow) >= k+ShowMargin
}

// ShowProbability is the probability that a cell holding n reports
// outside its largest agency is shown by a release of floor k.
func ShowProbability(n, k int) float64 {
	if n < k {
		return 0
	}
	p, lo := 0.0, 0.0
	for _, row := range Perturbation {
		if n+row.Change >= k+ShowMargin {
			p += row.Below - lo
		}
		lo = row.Below
	}
	return p
}

// shows reports whether the release shows the cell of a.
func (r *Release) shows(a *acc) bool {
	largest := int32(0)
	for _, c := range a.agencyN {
		largest = max(largest, c)
	}
	return Shows(a.reports-int(largest), r.K, a.key)
}

// figures are a shown cell's published score and count.
type figures struct {
	score   float64
	reports int
}

// published is the published score and count of every accumulator.
func published(accs []acc, h time.Duration) []figures {
	out := make([]figures, len(accs))
	for i := range accs {
		a := &accs[i]
		out[i] = figures{score: PublishedScore(a.score, a.key, h), reports: PublishedCount(a.reports, a.key)}
	}
	return out
}

// Count is a published count of an ordered split; Reports is nil when the
// split holds fewer than K reports.
type Count struct {
	Label   string `json:"label"`
	Start   string `json:"start,omitempty"`
	Reports *int   `json:"reports"`
}

// PublishedExplanation is what the published view tells of one shown
// cell: its published figures, its reports by split (published counts;
// named splits of fewer than K reports merged into Other), and its ring.
type PublishedExplanation struct {
	Cell         CellScore
	ByCategory   map[string]int
	ByAgencyKind map[string]int
	ByGrading    map[string]int
	ByAge        []Count
	Periods      []Count
	// Neighbours are the cells of the ring; a hidden one has no figures.
	Neighbours []PublishedNeighbour
}

// PublishedNeighbour is a cell of the ring around an explained one.
type PublishedNeighbour struct {
	Cell    hexgrid.Cell
	Shown   bool
	Reports int
	Score   float64
}

// Splits are the published splits of one shown cell of a release table:
// its reports by category, agency kind and grading, by age and by period.
// A split is shown by the rule of cells (Shows on its reports outside its
// largest agency); named ones not shown are merged into Other, ordered
// ones not shown have nil counts.
type Splits struct {
	ByCategory   map[string]int `json:"by_category"`
	ByAgencyKind map[string]int `json:"by_agency_kind"`
	ByGrading    map[string]int `json:"by_grading"`
	ByAge        []Count        `json:"by_age"`
	Periods      []Count        `json:"periods"`
}

// cellBuckets are a cell's splits before they are published.
type cellBuckets struct {
	cats, kinds, grades map[string]*bucket
	ages, periods       []bucket
}

func addTo(m map[string]*bucket, name string, key uint32, agency uint16) {
	b, ok := m[name]
	if !ok {
		b = &bucket{}
		m[name] = b
	}
	b.add(key, agency)
}

// ReleaseSplits are the published splits of the cells of res, a table of
// release p (p.Release set), in one pass over the facts; it stops with
// ctx's error when ctx ends.
func (e *Engine) ReleaseSplits(ctx context.Context, p Params, res *Result) (map[hexgrid.Cell]*Splits, error) {
	if p.Release == nil {
		return nil, errors.New("hotspot: ReleaseSplits of a query without a release")
	}
	e.mu.RLock()
	st := e.studies[p.Res-hexgrid.MinRes]
	f := e.compile(p)
	byIdx := make(map[int32]*cellBuckets, len(res.Cells))
	for _, rc := range res.Cells {
		if i, ok := st.index[rc.Cell]; ok {
			byIdx[i] = &cellBuckets{cats: map[string]*bucket{}, kinds: map[string]*bucket{}, grades: map[string]*bucket{},
				ages: make([]bucket, len(ageBands)), periods: make([]bucket, f.periods)}
		}
	}
	for _, block := range e.window(f.from, f.asOf) {
		if err := ctx.Err(); err != nil {
			e.mu.RUnlock()
			return nil, err
		}
		for i := range block {
			x := &block[i]
			if !f.keep(x) {
				continue
			}
			b := byIdx[x.idx[f.resIdx]]
			if b == nil {
				continue
			}
			addTo(b.cats, intel.Categories[x.cat].Code, x.key, x.agency)
			addTo(b.kinds, e.agencies[x.agency].Kind, x.key, x.agency)
			addTo(b.grades, string(rune('0'+x.source))+string(rune('A'+x.assess-1)), x.key, x.agency)
			age := time.Duration(f.asOf-x.weekMicros()) * time.Microsecond
			for bi, band := range ageBands {
				if age <= band.upTo {
					b.ages[bi].add(x.key, x.agency)
					break
				}
			}
			if per := f.periods - 1 - int((f.asOf-x.weekMicros())/f.periodMic); per >= 0 {
				b.periods[per].add(x.key, x.agency)
			}
		}
	}
	e.mu.RUnlock()

	k := p.Release.K
	ordered := func(b bucket, label, start string) Count {
		out := Count{Label: label, Start: start}
		if b.shown(k) {
			n := PublishedSplit(b.n, b.key)
			out.Reports = &n
		}
		return out
	}
	out := make(map[hexgrid.Cell]*Splits, len(byIdx))
	for i, b := range byIdx {
		sp := &Splits{ByCategory: publishSplits(b.cats, k), ByAgencyKind: publishSplits(b.kinds, k), ByGrading: publishSplits(b.grades, k)}
		for bi, band := range ageBands {
			sp.ByAge = append(sp.ByAge, ordered(b.ages[bi], band.label, ""))
		}
		for pi, pb := range b.periods {
			start := time.UnixMicro(f.asOf).In(London).AddDate(0, 0, -(len(b.periods)-pi)*int(p.Period/day))
			sp.Periods = append(sp.Periods, ordered(pb, "period "+start.Format(time.DateOnly), start.Format(time.RFC3339)))
		}
		out[st.cells[i]] = sp
	}
	return out, nil
}
