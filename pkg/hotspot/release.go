package hotspot

import (
	"context"
	"errors"
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
// release does not show the split.
type Count struct {
	Label   string `json:"label"`
	Start   string `json:"start,omitempty"`
	Reports *int   `json:"reports"`
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
