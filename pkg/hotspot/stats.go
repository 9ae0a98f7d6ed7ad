package hotspot

import (
	"math"
	"slices"
)

// neighbours lists, for every study cell, the other study cells of its
// disk, in compressed rows: the disk of i is i and idx[off[i]:off[i+1]].
type neighbours struct {
	off []int32
	idx []int32
}

// giStar is the Gi* z-score of cell i over the values x of every study
// cell, of mean and S as moments gives them.
func (nb *neighbours) giStar(x []float64, i int, mean, s float64) float64 {
	local := x[i]
	js := nb.idx[nb.off[i]:nb.off[i+1]]
	for _, j := range js {
		local += x[j]
	}
	return giStar(local, mean, s, len(js)+1, len(x))
}

// moments are the mean and S of Gi* over n values of which only some are
// non-zero.
func moments(sum, sum2 float64, n int) (mean, s float64) {
	mean = sum / float64(n)
	v := sum2/float64(n) - mean*mean
	if v <= 0 {
		return mean, 0
	}
	return mean, math.Sqrt(v)
}

// giStar is the Gi* z of cell i given the local sum of its disk of k cells.
func giStar(local, mean, s float64, k, n int) float64 {
	if s == 0 || n < 2 {
		return 0
	}
	kf, nf := float64(k), float64(n)
	return (local - mean*kf) / (s * math.Sqrt((nf*kf-kf*kf)/(nf-1)))
}

// GiStar returns the Gi* z of every value of x over the neighbour lists nb
// (each list holding the cell itself).
func GiStar(x []float64, nb [][]int32) []float64 {
	var sum, sum2 float64
	for _, v := range x {
		sum += v
		sum2 += v * v
	}
	mean, s := moments(sum, sum2, len(x))
	z := make([]float64, len(x))
	for i, js := range nb {
		var local float64
		for _, j := range js {
			local += x[j]
		}
		z[i] = giStar(local, mean, s, len(js), len(x))
	}
	return z
}

// PValue is the two-sided p-value of a standard normal z.
func PValue(z float64) float64 { return math.Erfc(math.Abs(z) / math.Sqrt2) }

// Confidence levels and the z each needs.
var levels = []struct {
	confidence int
	alpha, z   float64
}{{99, 0.01, 2.576}, {95, 0.05, 1.96}, {90, 0.10, 1.645}}

// confidence is the hot-spot confidence of z without FDR correction.
func confidence(z float64) int {
	if z <= 0 {
		return 0
	}
	for _, l := range levels {
		if z >= l.z {
			return l.confidence
		}
	}
	return 0
}

// BHThresholds returns, for α = 0.01, 0.05 and 0.10, the largest p-value
// the Benjamini–Hochberg procedure declares significant among ps (-1 when
// none is). ps is sorted in place.
func BHThresholds(ps []float64) [3]float64 {
	slices.Sort(ps)
	m := float64(len(ps))
	out := [3]float64{-1, -1, -1}
	for li, l := range levels {
		for k := len(ps); k >= 1; k-- {
			if ps[k-1] <= float64(k)/m*l.alpha {
				out[li] = ps[k-1]
				break
			}
		}
	}
	return out
}

// fdrConfidence is the hot-spot confidence of (z, p) under BH thresholds.
func fdrConfidence(z, p float64, th [3]float64) int {
	if z <= 0 {
		return 0
	}
	for li, l := range levels {
		if th[li] >= 0 && p <= th[li] {
			return l.confidence
		}
	}
	return 0
}

// MannKendall tests a series for a monotonic trend: S, its z (with the
// continuity correction and the variance corrected for ties) and the
// two-sided p.
func MannKendall(x []float64) (s int, z, p float64) {
	n := len(x)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			switch {
			case x[j] > x[i]:
				s++
			case x[j] < x[i]:
				s--
			}
		}
	}
	nf := float64(n)
	v := nf * (nf - 1) * (2*nf + 5)
	sorted := slices.Clone(x)
	slices.Sort(sorted)
	for i := 0; i < n; {
		j := i
		for j < n && sorted[j] == sorted[i] {
			j++
		}
		if t := float64(j - i); t > 1 {
			v -= t * (t - 1) * (2*t + 5)
		}
		i = j
	}
	v /= 18
	switch {
	case v <= 0:
		return s, 0, 1
	case s > 0:
		z = float64(s-1) / math.Sqrt(v)
	case s < 0:
		z = float64(s+1) / math.Sqrt(v)
	}
	return s, z, PValue(z)
}

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
func hotIn(z float64) bool { return z > 0 && PValue(z) < 0.10 }

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
		s, _, p := MannKendall(zs)
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
