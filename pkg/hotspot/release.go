package hotspot

import (
	"context"
	"errors"
	"math"
	"time"
	// The published view's grid is the day and the week of Europe/London,
	// wherever the binary runs.
	_ "time/tzdata"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// Release makes a query's answer a published view: a statistical release
// for callers who may not read raw reports. Such an answer
//
//   - counts a report by the Monday (Europe/London) of its week, in the
//     whole weeks from the week of From to the week before AsOf's, and
//     decays scores from the start of AsOf's week: no time finer than a
//     week enters it, and every day of a week gives the same answer;
//   - leaves out the reports of Exclude (the caller's own agency), so that
//     a caller can neither open a cell nor move a figure with reports of
//     its own;
//   - shows a cell only when it holds at least K counted reports (outside
//     its largest agency, under Dominance) and computes Gi* and trends over
//     the shown cells alone, so that hidden cells move no published figure;
//   - publishes counts through the cell-key method (Perturbation), scores
//     as perturbed bands of the 1-2-5 ladder (PublishedScore), splits only
//     with K reports or more, and no z, p or exact score.
type Release struct {
	// Exclude is the agency whose reports are left out; uuid.Nil leaves out none.
	Exclude uuid.UUID
	// K is the fewest reports a shown cell or split holds.
	K int
	// Dominance requires K reports outside the cell's largest agency
	// (snapshots for multi-agency meetings), so that no agency that sees
	// the release can subtract its own reports and be left with fewer.
	Dominance bool
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

// bucket is a split's true count and key.
type bucket struct {
	n   int
	key uint32
}

func (b *bucket) add(key uint32) {
	b.n++
	b.key += key
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

// publishSplits is the published form of named buckets: each bucket of at
// least k reports with its published split count; the others merged into
// Other, shown when they hold k reports together.
func publishSplits(bs map[string]*bucket, k int) map[string]int {
	out := map[string]int{}
	var other bucket
	for name, b := range bs {
		if b.n >= k {
			out[name] = PublishedSplit(b.n, b.key)
		} else {
			other.n += b.n
			other.key += b.key
		}
	}
	if other.n >= k {
		out[Other] = PublishedSplit(other.n, other.key)
	}
	return out
}

// shows reports whether the release shows the cell of a.
func (r *Release) shows(a *acc) bool {
	n := a.reports
	if r.Dominance {
		largest := int32(0)
		for _, c := range a.agencyN {
			largest = max(largest, c)
		}
		n -= int(largest)
	}
	return n >= r.K
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

// publishedCategories are the published counts of the cell's categories.
func (a *acc) publishedCategories(k int) map[string]int {
	cats := map[string]*bucket{}
	for ci, n := range a.cats {
		if n > 0 {
			cats[intel.Categories[ci].Code] = &bucket{n: int(n), key: a.catKey[ci]}
		}
	}
	return publishSplits(cats, k)
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

// ErrHidden means the published view does not show the cell asked for.
var ErrHidden = errors.New("hotspot: cell not shown in the published view")

// ExplainPublished explains cell c of the published query p (p.Release
// set); it stops with ctx's error when ctx ends.
func (e *Engine) ExplainPublished(ctx context.Context, p Params, c hexgrid.Cell) (*PublishedExplanation, error) {
	if p.Release == nil {
		return nil, errors.New("hotspot: ExplainPublished of a query without a release")
	}
	st, target, byCell, err := e.around(ctx, p, c)
	if err != nil {
		return nil, err
	}
	rc, shown := byCell[c]
	if !shown {
		return nil, ErrHidden
	}
	ex := &PublishedExplanation{Cell: rc}

	cats, kinds, grades := map[string]*bucket{}, map[string]*bucket{}, map[string]*bucket{}
	ages := make([]bucket, len(ageBands))
	add := func(m map[string]*bucket, name string, key uint32) {
		b, ok := m[name]
		if !ok {
			b = &bucket{}
			m[name] = b
		}
		b.add(key)
	}
	e.mu.RLock()
	f := e.compile(p)
	periods := make([]bucket, f.periods)
	for _, block := range e.window(f.from, f.asOf) {
		for i := range block {
			x := &block[i]
			if !f.keep(x) || x.idx[f.resIdx] != target {
				continue
			}
			add(cats, intel.Categories[x.cat].Code, x.key)
			add(kinds, e.agencies[x.agency].Kind, x.key)
			add(grades, string(rune('0'+x.source))+string(rune('A'+x.assess-1)), x.key)
			age := time.Duration(f.asOf-x.weekMicros()) * time.Microsecond
			for bi, b := range ageBands {
				if age <= b.upTo {
					ages[bi].add(x.key)
					break
				}
			}
			if per := f.periods - 1 - int((f.asOf-x.weekMicros())/f.periodMic); per >= 0 {
				periods[per].add(x.key)
			}
		}
	}
	e.mu.RUnlock()
	k := p.Release.K
	ex.ByCategory, ex.ByAgencyKind, ex.ByGrading = publishSplits(cats, k), publishSplits(kinds, k), publishSplits(grades, k)
	ordered := func(b bucket, label, start string) Count {
		out := Count{Label: label, Start: start}
		if b.n >= k {
			n := PublishedSplit(b.n, b.key)
			out.Reports = &n
		}
		return out
	}
	for i, b := range ageBands {
		ex.ByAge = append(ex.ByAge, ordered(ages[i], b.label, ""))
	}
	for i, b := range periods {
		start := time.UnixMicro(f.asOf).In(London).AddDate(0, 0, -(len(periods)-i)*int(p.Period/day))
		ex.Periods = append(ex.Periods, ordered(b, "period "+start.Format(time.DateOnly), start.Format(time.RFC3339)))
	}

	ring, err := st.ring(c, p.K)
	if err != nil {
		return nil, err
	}
	for _, d := range ring {
		nc, ok := byCell[d]
		ex.Neighbours = append(ex.Neighbours, PublishedNeighbour{Cell: d, Shown: ok, Reports: nc.Reports, Score: nc.Score})
	}
	return ex, nil
}
