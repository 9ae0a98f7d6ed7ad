package displacement

import (
	"errors"
	"math"

	"github.com/hexwatch/hexwatch/pkg/stats"
)

// ErrTooFew is returned when a count of the significance test is 0, so
// that the odds ratio or its variance is not defined.
var ErrTooFew = errors.New("displacement: a count before or after is 0")

// z95 is the standard normal quantile of a two-sided 95 % interval.
const z95 = 1.96

// Test is the significance of the change in a response area against the
// control.
type Test struct {
	// OddsRatio = (A0·C1)/(A1·C0): above 1 when A improved relative to C.
	OddsRatio float64
	// Low and High bound the 95 % confidence interval of OddsRatio.
	Low, High float64
	// Z = ln OddsRatio / sd(ln OddsRatio).
	Z float64
	// P is the two-sided p-value of Z.
	P float64
	// Significant is P < 0.05.
	Significant bool
}

// OddsRatio tests the counts of the response area a against those of the
// control c by the relative effect size of Farrington and Welsh, with
// var(ln OR) = 1/A0 + 1/A1 + 1/C0 + 1/C1. That variance assumes Poisson
// counts, so a and c must be plain report counts, not harm scores. It
// returns ErrTooFew when any count is 0 (or below).
func OddsRatio(a, c Period) (Test, error) {
	if a.Before <= 0 || a.After <= 0 || c.Before <= 0 || c.After <= 0 {
		return Test{}, ErrTooFew
	}
	or := (a.Before * c.After) / (a.After * c.Before)
	sd := math.Sqrt(1/a.Before + 1/a.After + 1/c.Before + 1/c.After)
	z := math.Log(or) / sd
	p := stats.PValue(z)
	return Test{
		OddsRatio:   or,
		Low:         math.Exp(math.Log(or) - z95*sd),
		High:        math.Exp(math.Log(or) + z95*sd),
		Z:           z,
		P:           p,
		Significant: p < 0.05,
	}, nil
}
