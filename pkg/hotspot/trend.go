package hotspot

import "github.com/hexwatch/hexwatch/pkg/stats"

// Trend classes.
const (
	TrendNone         = ""
	TrendNew          = "new"
	TrendConsecutive  = "consecutive"
	TrendIntensifying = "intensifying"
	TrendPersistent   = "persistent"
	TrendDiminishing  = "diminishing"
	TrendSporadic     = "sporadic"
	TrendHistorical   = "historical"
)

// hotIn is whether a period's Gi* makes the cell a hot spot in it.
func hotIn(z float64) bool { return z > 0 && stats.PValue(z) < 0.10 }

// Classify gives the trend class of a cell from its per-period Gi* z,
// oldest period first, following the rules in the package doc.
func Classify(zs []float64) string {
	n := len(zs)
	if n == 0 {
		return TrendNone
	}
	hot := 0
	for _, z := range zs {
		if hotIn(z) {
			hot++
		}
	}
	final := hotIn(zs[n-1])
	mostly := float64(hot) >= 0.9*float64(n)
	switch {
	case !final && mostly:
		return TrendHistorical
	case !final:
		return TrendNone
	case mostly:
		s, _, p := stats.MannKendall(zs)
		switch {
		case p < 0.05 && s > 0:
			return TrendIntensifying
		case p < 0.05 && s < 0:
			return TrendDiminishing
		}
		return TrendPersistent
	case hot == 1:
		return TrendNew
	}
	run := 0
	for i := n - 1; i >= 0 && hotIn(zs[i]); i-- {
		run++
	}
	if run == hot && run >= 2 {
		return TrendConsecutive
	}
	return TrendSporadic
}
