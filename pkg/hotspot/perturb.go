package hotspot

// The perturbation of a release: cell keys, the perturbation table and its
// draws, the published counts, score bands and splits, and the rule that
// decides what is shown.

import (
	"math"
	"time"
)

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

// Other names the merged named splits that a release does not show one by one.
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
