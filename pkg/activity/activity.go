// Package activity tells when an agency fell silent: its weekly count of
// reports received against its own usual level. It knows no HTTP and no
// SQL.
//
// # The silence rule
//
// A week is flagged when the agency's count in it is improbably low
// against the Baseline weeks before it, or the Span weeks ending with it
// are against the Baseline weeks before those. Each is the exact test of
// two Poisson rates (R's poisson.test of two counts; Przyborowski and
// Wilenski 1940): if the agency sent at one steady rate, then given the
// total T of the tested weeks and their baseline, the tested weeks' count
// is binomial, T trials of probability span / (span + Baseline). The
// week is flagged when P(X ≤ count) < Alpha. Conditioning on the total
// takes in that the usual level is itself estimated from twelve weeks; a
// test against the baseline's mean as if it were known flags about half
// as often again by chance.
//
// Worked example: twelve weeks of 240 reports in all (20 a week), then a
// week of 2: T = 242, P(X ≤ 2) for 242 trials of 1/13 is 8.7 × 10⁻⁷,
// flagged. A week of 14 instead: P(X ≤ 14 | 254, 1/13) = 0.11, not
// flagged. The span catches a small agency going quiet, which one week
// cannot show: 24 reports in twelve weeks (2 a week), then four weeks of
// none: P = (3/4)^24 = 0.0010, at the edge of Alpha: such an agency is
// flagged in about its fourth silent week.
package activity

import (
	"github.com/hexwatch/hexwatch/pkg/stats"
)

// The rule's settings.
const (
	Baseline = 12
	Span     = 4
	Alpha    = 0.001
)

// Test names which test flagged a week.
const (
	TestWeek  = "week"
	TestWeeks = "four weeks"
)

// Flag is a week flagged by the silence rule.
type Flag struct {
	Week     int     // index into the counts
	Test     string  // TestWeek or TestWeeks
	Received int     // the week's count, or the span's sum
	Expected float64 // what the baseline's rate would have sent
	P        float64
}

// Usual is the agency's usual weekly level before week i: the mean of the
// Baseline weeks before it; false when fewer are known.
func Usual(counts []int, i int) (float64, bool) {
	if i < Baseline || i > len(counts) {
		return 0, false
	}
	return float64(sum(counts[i-Baseline:i])) / Baseline, true
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// test is the rule's test of the span weeks from i against the Baseline
// weeks before them.
func test(counts []int, i, span int, name string) (Flag, bool) {
	if i < Baseline || i+span > len(counts) {
		return Flag{}, false
	}
	x, base := sum(counts[i:i+span]), sum(counts[i-Baseline:i])
	p := stats.BinomialCDF(x, x+base, float64(span)/float64(span+Baseline))
	return Flag{Week: i + span - 1, Test: name, Received: x, Expected: float64(base) * float64(span) / Baseline, P: p}, p < Alpha
}

// Flags are the weeks from first on (counts oldest first) that the
// silence rule flags; a week both tests flag is flagged once, by the
// week's test.
func Flags(counts []int, first int) []Flag {
	var out []Flag
	for i := max(first, Baseline); i < len(counts); i++ {
		if f, ok := test(counts, i, 1, TestWeek); ok {
			out = append(out, f)
		} else if f, ok := test(counts, i-Span+1, Span, TestWeeks); ok {
			out = append(out, f)
		}
	}
	return out
}
