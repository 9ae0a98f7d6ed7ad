package stats

import (
	"fmt"
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// A hand-worked Gi* on four cells in a row, each cell's neighbourhood being
// itself and the cells beside it: x = 1, 2, 3, 10.
//
//	n = 4, Σx = 16, x̄ = 4, Σx² = 114, S = sqrt(114/4 − 16) = sqrt(12.5) = 3.5355339
//	cell 0: N = {0,1}, K = 2, Σ = 3:  (3 − 8) / (S·sqrt((8−4)/3))  = −5 / 4.0824829 = −1.2247449
//	cell 1: N = {0,1,2}, K = 3, Σ = 6:  (6 − 12) / (S·sqrt((12−9)/3)) = −6 / 3.5355339 = −1.6970563
//	cell 2: N = {1,2,3}, K = 3, Σ = 15: (15 − 12) / 3.5355339         =  0.8485281
//	cell 3: N = {2,3}, K = 2, Σ = 13: (13 − 8) / 4.0824829            =  1.2247449
func TestGiStarByHand(t *testing.T) {
	x := []float64{1, 2, 3, 10}
	nb := [][]int32{{0, 1}, {0, 1, 2}, {1, 2, 3}, {2, 3}}
	want := []float64{-1.2247449, -1.6970563, 0.8485281, 1.2247449}
	for i, z := range GiStar(x, nb) {
		if !near(z, want[i], 1e-6) {
			t.Errorf("z[%d]: got %.7f, want %.7f", i, z, want[i])
		}
	}
	if z := GiStar([]float64{2, 2, 2}, [][]int32{{0, 1}, {0, 1, 2}, {1, 2}}); z[0] != 0 || z[1] != 0 {
		t.Errorf("equal values: got %v, want zeros", z)
	}
}

func TestPValueAndConfidence(t *testing.T) {
	tests := []struct {
		z    float64
		p    float64
		conf int
	}{{1.645, 0.09996, 90}, {1.96, 0.04999, 95}, {2.576, 0.009995, 99}, {1.0, 0.3173, 0}, {-3, 0.0027, 0}}
	for _, tt := range tests {
		if p := PValue(tt.z); !near(p, tt.p, 1e-4) {
			t.Errorf("PValue(%v): got %v, want %v", tt.z, p, tt.p)
		}
		if c := Confidence(tt.z); c != tt.conf {
			t.Errorf("Confidence(%v): got %d, want %d", tt.z, c, tt.conf)
		}
	}
}

// The example of Benjamini and Hochberg's method in McDonald's Handbook of
// Biological Statistics: 25 p-values.
func TestBHThresholds(t *testing.T) {
	ps := []float64{0.001, 0.008, 0.039, 0.041, 0.042, 0.060, 0.074, 0.205, 0.212, 0.216, 0.222, 0.251, 0.269,
		0.275, 0.34, 0.341, 0.384, 0.569, 0.594, 0.696, 0.762, 0.94, 0.942, 0.975, 0.986}
	// α = 0.01: k/25·0.01 = 0.0004 for k = 1 already exceeds p(1) = 0.001: none.
	// α = 0.05: p(1) = 0.001 ≤ 0.002, p(2) = 0.008 > 0.004, and no later p(k) ≤ k·0.002: 0.001.
	// α = 0.10: p(2) = 0.008 ≤ 0.008, p(3) = 0.039 > 0.012 and no later one passes: 0.008.
	got := BHThresholds(ps)
	want := [3]float64{-1, 0.001, 0.008}
	if got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
	if c := FDRConfidence(3, 0.008, got); c != 90 {
		t.Errorf("p = 0.008 under FDR: got %d, want 90", c)
	}
	if c := FDRConfidence(3, 0.001, got); c != 95 {
		t.Errorf("p = 0.001 under FDR: got %d, want 95", c)
	}
}

func TestMannKendall(t *testing.T) {
	// 1..5 rising: S = 10, var = 5·4·15/18 = 16.667, z = 9/4.0825 = 2.2045.
	s, z, p := MannKendall([]float64{1, 2, 3, 4, 5})
	if s != 10 || !near(z, 2.2045, 1e-4) || !near(p, 0.0275, 1e-3) {
		t.Fatalf("rising: got S=%d z=%v p=%v", s, z, p)
	}
	// Ties: 1,1,2: S = 2, var = (3·2·11 − 2·1·9)/18 = 2.6667, z = 1/1.633 = 0.6124.
	s, z, _ = MannKendall([]float64{1, 1, 2})
	if s != 2 || !near(z, 0.6124, 1e-4) {
		t.Fatalf("ties: got S=%d z=%v", s, z)
	}
}

func ExampleGiStar() {
	// Four cells in a row, each neighbourhood the cell and those beside it.
	z := GiStar([]float64{1, 2, 3, 10}, [][]int32{{0, 1}, {0, 1, 2}, {1, 2, 3}, {2, 3}})
	for _, v := range z {
		fmt.Printf("%.4f %d%%\n", v, Confidence(v))
	}
	// Output:
	// -1.2247 0%
	// -1.6971 0%
	// 0.8485 0%
	// 1.2247 0%
}

func ExampleBHThresholds() {
	// Ten tests: at each α the procedure declares significant the p-values
	// up to the largest p(k) ≤ k/10 · α (α = 0.01, 0.05, 0.10).
	th := BHThresholds([]float64{0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216})
	fmt.Println(th[0], th[1], th[2])
	fmt.Println(FDRConfidence(3, 0.008, th), FDRConfidence(2.1, 0.039, th))
	// Output:
	// 0.001 0.008 0.06
	// 95 90
}

func ExampleMannKendall() {
	s, z, p := MannKendall([]float64{1, 2, 3, 4, 5})
	fmt.Printf("S %d, z %.3f, p %.4f\n", s, z, p)
	// Output:
	// S 10, z 2.205, p 0.0275
}
