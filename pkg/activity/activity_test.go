package activity

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hexwatch/hexwatch/pkg/stats"
)

// poisson draws a Poisson count of mean lambda (Knuth's method; lambda
// well under 700).
func poisson(r *rand.Rand, lambda float64) int {
	limit, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= limit {
			return k
		}
		k++
	}
}

// weeks is the history one answer reads: 26 weeks shown, the rule's
// Baseline and Span before them.
const weeks = 26 + Baseline + Span - 1

func TestBinomialCDF(t *testing.T) {
	// (3/4)^24, and 1 + 2·… by hand for 4 trials of 1/2: (1 + 4 + 6) / 16.
	if got, want := stats.BinomialCDF(0, 24, 0.25), math.Pow(0.75, 24); math.Abs(got-want) > 1e-15 {
		t.Errorf("P(X ≤ 0 | 24, 1/4) = %g, want %g", got, want)
	}
	if got := stats.BinomialCDF(2, 4, 0.5); math.Abs(got-11.0/16) > 1e-15 {
		t.Errorf("P(X ≤ 2 | 4, 1/2) = %g, want 11/16", got)
	}
	if got := stats.BinomialCDF(2, 242, 1.0/13); math.Abs(got-8.653365236528403e-07) > 1e-15 {
		t.Errorf("the README's example: %g", got)
	}
	if stats.BinomialCDF(-1, 3, 0.5) != 0 || stats.BinomialCDF(3, 3, 0.5) != 1 {
		t.Error("edge cases")
	}
}

func TestSilenceRule(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 29))
	shown := weeks - 26
	// An agency sending about 20 a week that drops to 2 in its last week.
	drop := make([]int, weeks)
	for i := range drop {
		drop[i] = poisson(r, 20)
	}
	drop[weeks-1] = 2
	fl := Flags(drop, shown)
	if len(fl) == 0 || fl[len(fl)-1].Week != weeks-1 || fl[len(fl)-1].Test != TestWeek {
		t.Errorf("a drop from ~20 to 2 is not flagged: %v %+v", drop, fl)
	}
	// A small agency (2 a week) that stops: flagged by the four weeks.
	quiet := make([]int, weeks)
	for i := range quiet[:weeks-5] {
		quiet[i] = poisson(r, 2)
	}
	if fl := Flags(quiet, shown); len(fl) == 0 || fl[len(fl)-1].Week < weeks-5 || fl[len(fl)-1].Test != TestWeeks {
		t.Errorf("an agency of ~2 a week silent for five weeks is not flagged: %v %+v", quiet, fl)
	}

	// Ordinary Poisson variation: 1,000 agencies of steady means from 1 to
	// 40 a week, 26 weeks shown each. The two tests at 0.001 each, on
	// discrete counts, flag about 1 week in 1,000 (28 of 26,000 with this
	// seed: 26 of the 1,000 agencies flagged once in half a year).
	flagged, agencies := 0, 0
	for a := range 1000 {
		lambda := 1 + 39*float64(a)/999
		counts := make([]int, weeks)
		for i := range counts {
			counts[i] = poisson(r, lambda)
		}
		n := len(Flags(counts, shown))
		flagged += n
		if n > 0 {
			agencies++
		}
	}
	rate := float64(flagged) / (1000 * 26)
	t.Logf("ordinary variation: %d of 26,000 agency-weeks flagged (%.3f %%), %d of 1,000 agencies flagged at least once in 26 weeks", flagged, 100*rate, agencies)
	if rate > 0.002 {
		t.Errorf("false alarms: %.3f %% of agency-weeks, want under 0.2 %%", 100*rate)
	}
	// And the one steady agency of the drop's level, its last week ordinary.
	steady := append([]int(nil), drop...)
	steady[weeks-1] = 17
	for _, f := range Flags(steady, shown) {
		if f.Week == weeks-1 {
			t.Errorf("an ordinary week of 17 at ~20 flagged: %+v", f)
		}
	}
}
