package hotspot

import "testing"

func series(n int, f func(i int) float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func TestClassify(t *testing.T) {
	const n = 13
	hot, cold := 3.0, 0.0
	tests := []struct {
		name string
		zs   []float64
		want string
	}{
		{"new", series(n, func(i int) float64 { return map[bool]float64{true: hot}[i == n-1] }), TrendNew},
		{"consecutive", series(n, func(i int) float64 { return map[bool]float64{true: hot}[i >= n-3] }), TrendConsecutive},
		{"intensifying", series(n, func(i int) float64 { return 2 + float64(i)*0.25 }), TrendIntensifying},
		{"persistent", series(n, func(i int) float64 { return []float64{2.5, 3}[i%2] }), TrendPersistent},
		{"diminishing", series(n, func(i int) float64 { return 5 - float64(i)*0.25 }), TrendDiminishing},
		{"sporadic", series(n, func(i int) float64 { return []float64{hot, cold}[i%2] }), TrendSporadic},
		{"historical", series(n, func(i int) float64 { return map[bool]float64{true: hot}[i < n-1] }), TrendHistorical},
		{"none: never hot", series(n, func(int) float64 { return cold }), TrendNone},
		{"none: hot once, long ago", series(n, func(i int) float64 { return map[bool]float64{true: hot}[i == 0] }), TrendNone},
		{"cold spots are not hot", series(n, func(int) float64 { return -3 }), TrendNone},
	}
	for _, tt := range tests {
		if got := Classify(tt.zs); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
