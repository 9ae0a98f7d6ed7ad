// Package stats holds the statistics of hotspot analysis, free of any
// grid or report: Getis-Ord Gi* (the formula of ArcGIS and of PySAL
// esda's G_Local(star=True)), two-sided p-values, confidence classes with
// and without the Benjamini–Hochberg correction, and the Mann–Kendall
// trend test, and the binomial lower tail of the silence rule.
package stats

import (
	"math"
	"slices"
)

// Moments are the mean and S of Gi* over n values, of sum sum and sum of
// squares sum2 (the zeros need not be listed).
func Moments(sum, sum2 float64, n int) (mean, s float64) {
	mean = sum / float64(n)
	v := sum2/float64(n) - mean*mean
	if v <= 0 {
		return mean, 0
	}
	return mean, math.Sqrt(v)
}

// GiZ is the Gi* z of a cell whose neighbourhood of k cells (itself
// included) sums to local, among n cells of mean and S as Moments gives.
func GiZ(local, mean, s float64, k, n int) float64 {
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
	mean, s := Moments(sum, sum2, len(x))
	z := make([]float64, len(x))
	for i, js := range nb {
		var local float64
		for _, j := range js {
			local += x[j]
		}
		z[i] = GiZ(local, mean, s, len(js), len(x))
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

// Confidence is the hot-spot confidence (90, 95 or 99 %, 0 for none) of
// a Gi* z without correction for multiple tests.
func Confidence(z float64) int {
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

// FDRConfidence is the hot-spot confidence of a Gi* z of p-value p under
// the thresholds of BHThresholds.
func FDRConfidence(z, p float64, th [3]float64) int {
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

// BinomialCDF is P(X ≤ k) for X binomial of n trials of probability p,
// summed in log space so that long series do not underflow.
func BinomialCDF(k, n int, p float64) float64 {
	switch {
	case k < 0:
		return 0
	case k >= n || p <= 0:
		return 1
	case p >= 1:
		return 0
	}
	lgN, _ := math.Lgamma(float64(n) + 1)
	sum := 0.0
	for i := 0; i <= k; i++ {
		lgI, _ := math.Lgamma(float64(i) + 1)
		lgR, _ := math.Lgamma(float64(n-i) + 1)
		sum += math.Exp(lgN - lgI - lgR + float64(i)*math.Log(p) + float64(n-i)*math.Log1p(-p))
	}
	return min(sum, 1)
}
