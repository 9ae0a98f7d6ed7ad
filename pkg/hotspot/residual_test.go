package hotspot

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestResidualRiskOf52Releases is what an attacker learns of one shown
// cell from 52 consecutive releases: the published counts of its three
// windows (13, 26 and 52 weeks) each week, solved by least squares for the
// cell's weekly counts. Each published count is the window's true count
// plus its own cell-key draw (the sets differ, so the draws are
// independent). The test reports how far the estimates of single weeks
// stay from the truth, and how often a week that holds exactly one report
// is estimated as one.
func TestResidualRiskOf52Releases(t *testing.T) {
	rng := rand.New(rand.NewPCG(52, 52))
	const weeks, releases = 104, 52
	windows := []int{13, 26, 52}
	var sq, n, ones, onesHit float64
	for _, rate := range []float64{0.5, 1, 3} {
		for range 20 {
			y := make([]float64, weeks)
			for w := range y {
				y[w] = float64(poisson(rng, rate))
			}
			// Normal equations of the releases, with a small ridge towards
			// the mean rate (the system alone does not fix every week).
			a := make([][]float64, weeks)
			b := make([]float64, weeks)
			for i := range a {
				a[i] = make([]float64, weeks)
				a[i][i] = 0.01
				b[i] = 0.01 * rate
			}
			for r := weeks - releases; r < weeks; r++ {
				for _, win := range windows {
					c := float64(noise(rng))
					for w := r - win; w < r; w++ {
						c += y[w]
					}
					for i := r - win; i < r; i++ {
						for j := r - win; j < r; j++ {
							a[i][j]++
						}
						b[i] += c
					}
				}
			}
			est := solve(a, b)
			for w := weeks - releases; w < weeks-1; w++ {
				d := est[w] - y[w]
				sq += d * d
				n++
				if y[w] == 1 {
					ones++
					if math.Round(est[w]) == 1 {
						onesHit++
					}
				}
			}
		}
	}
	rmse := math.Sqrt(sq / n)
	t.Logf("52 releases × 3 windows of one cell: weekly counts estimated with an RMS error of %.2f reports; a week of exactly one report estimated as one %.0f %% of the time (%v of %v)",
		rmse, 100*onesHit/ones, onesHit, ones)
	if rmse < 0.5 {
		t.Errorf("an attacker estimates a cell's weekly count within %.2f reports from 52 releases", rmse)
	}
}

// noise is a draw of Perturbation's changes.
func noise(rng *rand.Rand) int {
	u := rng.Float64()
	for _, row := range Perturbation {
		if u < row.Below {
			return row.Change
		}
	}
	return 0
}

func poisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// solve solves a·x = b by Gaussian elimination with partial pivoting.
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p], b[c], b[p] = a[p], a[c], b[p], b[c]
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < n; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < n; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x
}
