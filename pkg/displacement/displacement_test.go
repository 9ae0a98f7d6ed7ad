package displacement

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func ptr(v float64) *float64 { return &v }

// Each case is worked by hand from
//
//	SM  = A1/C1 − A0/C0
//	BDM = B1/C1 − B0/C0
//	WDQ = BDM / SM (none when SM >= 0)
//	net = (A0·C1/C0 − A1) + (B0·C1/C0 − B1)
func TestMeasureByHand(t *testing.T) {
	tests := []struct {
		name    string
		areas   Areas
		sm, bdm float64
		wdq     *float64
		net     float64
		reading string
	}{{
		// SM = 30/1000 − 50/1000 = 0.03 − 0.05 = −0.02
		// BDM = 32/1000 − 40/1000 = 0.032 − 0.04 = −0.008
		// WDQ = −0.008 / −0.02 = 0.4
		// net = (50·1 − 30) + (40·1 − 32) = 20 + 8 = 28
		name:  "success with diffusion of benefit",
		areas: Areas{A: Period{50, 30}, B: Period{40, 32}, C: Period{1000, 1000}},
		sm:    -0.02, bdm: -0.008, wdq: ptr(0.4), net: 28, reading: ReadingDiffusion,
	}, {
		// SM = 0.03 − 0.05 = −0.02
		// BDM = 50/1000 − 40/1000 = 0.05 − 0.04 = 0.01
		// WDQ = 0.01 / −0.02 = −0.5
		// net = (50 − 30) + (40 − 50) = 20 − 10 = 10
		name:  "success with displacement",
		areas: Areas{A: Period{50, 30}, B: Period{40, 50}, C: Period{1000, 1000}},
		sm:    -0.02, bdm: 0.01, wdq: ptr(-0.5), net: 10, reading: ReadingDisplacement,
	}, {
		// SM = 40/1000 − 50/1000 = −0.01
		// BDM = 70/1000 − 40/1000 = 0.03
		// WDQ = 0.03 / −0.01 = −3
		// net = (50 − 40) + (40 − 70) = 10 − 30 = −20
		name:  "displacement exceeds the benefit",
		areas: Areas{A: Period{50, 40}, B: Period{40, 70}, C: Period{1000, 1000}},
		sm:    -0.01, bdm: 0.03, wdq: ptr(-3), net: -20, reading: ReadingBackfire,
	}, {
		// SM = 40/1000 − 50/1000 = −0.01
		// BDM = 50/1000 − 40/1000 = 0.01
		// WDQ = 0.01 / −0.01 = −1, the edge of displacement
		// net = (50 − 40) + (40 − 50) = 0
		name:  "displacement equal to the benefit",
		areas: Areas{A: Period{50, 40}, B: Period{40, 50}, C: Period{1000, 1000}},
		sm:    -0.01, bdm: 0.01, wdq: ptr(-1), net: 0, reading: ReadingDisplacement,
	}, {
		// SM = 40/1000 − 50/1000 = −0.01
		// BDM = 20/1000 − 40/1000 = −0.02
		// WDQ = −0.02 / −0.01 = 2
		// net = (50 − 40) + (40 − 20) = 10 + 20 = 30
		name:  "diffusion exceeds the benefit",
		areas: Areas{A: Period{50, 40}, B: Period{40, 20}, C: Period{1000, 1000}},
		sm:    -0.01, bdm: -0.02, wdq: ptr(2), net: 30, reading: ReadingDiffusionExceeds,
	}, {
		// C1/C0 = 800/1000 = 0.8
		// SM = 30/800 − 50/1000 = 0.0375 − 0.05 = −0.0125
		// BDM = 32/800 − 40/1000 = 0.04 − 0.04 = 0
		// WDQ = 0 / −0.0125 = 0
		// net = (50·0.8 − 30) + (40·0.8 − 32) = (40 − 30) + (32 − 32) = 10
		name:  "control fell, buffer kept pace",
		areas: Areas{A: Period{50, 30}, B: Period{40, 32}, C: Period{1000, 800}},
		sm:    -0.0125, bdm: 0, wdq: ptr(0), net: 10, reading: ReadingNone,
	}, {
		// C1/C0 = 0.8
		// SM = −0.0125 as above
		// BDM = 36/800 − 40/1000 = 0.045 − 0.04 = 0.005
		// WDQ = 0.005 / −0.0125 = −0.4
		// net = (40 − 30) + (32 − 36) = 10 − 4 = 6
		name:  "control fell, buffer fell less",
		areas: Areas{A: Period{50, 30}, B: Period{40, 36}, C: Period{1000, 800}},
		sm:    -0.0125, bdm: 0.005, wdq: ptr(-0.4), net: 6, reading: ReadingDisplacement,
	}, {
		// C1/C0 = 1200/1000 = 1.2; the buffer rose 10 %, less than the control's 20 %
		// SM = 45/1200 − 50/1000 = 0.0375 − 0.05 = −0.0125
		// BDM = 44/1200 − 40/1000 = 0.0366667 − 0.04 = −0.0033333
		// WDQ = −0.0033333 / −0.0125 = 0.2666667
		// net = (50·1.2 − 45) + (40·1.2 − 44) = (60 − 45) + (48 − 44) = 15 + 4 = 19
		name:  "control rose",
		areas: Areas{A: Period{50, 45}, B: Period{40, 44}, C: Period{1000, 1200}},
		sm:    -0.0125, bdm: -0.0033333333, wdq: ptr(0.2666666667), net: 19, reading: ReadingDiffusion,
	}, {
		// SM = 50/1000 − 30/1000 = 0.02 >= 0: no WDQ
		// BDM = 40/1000 − 40/1000 = 0
		// net = (30 − 50) + (40 − 40) = −20
		name:  "no success",
		areas: Areas{A: Period{30, 50}, B: Period{40, 40}, C: Period{1000, 1000}},
		sm:    0.02, bdm: 0, wdq: nil, net: -20, reading: ReadingNoSuccess,
	}, {
		// SM = 50/1000 − 50/1000 = 0: no WDQ
		// BDM = 30/1000 − 40/1000 = −0.01
		// net = (50 − 50) + (40 − 30) = 10
		name:  "no change in the area",
		areas: Areas{A: Period{50, 50}, B: Period{40, 30}, C: Period{1000, 1000}},
		sm:    0, bdm: -0.01, wdq: nil, net: 10, reading: ReadingNoSuccess,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Measure(tt.areas)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !near(m.SuccessMeasure, tt.sm, 1e-9) {
				t.Errorf("SuccessMeasure: got %v, want %v", m.SuccessMeasure, tt.sm)
			}
			if !near(m.BufferMeasure, tt.bdm, 1e-9) {
				t.Errorf("BufferMeasure: got %v, want %v", m.BufferMeasure, tt.bdm)
			}
			switch {
			case tt.wdq == nil && m.WDQ != nil:
				t.Errorf("WDQ: got %v, want nil", *m.WDQ)
			case tt.wdq != nil && m.WDQ == nil:
				t.Errorf("WDQ: got nil, want %v", *tt.wdq)
			case tt.wdq != nil && !near(*m.WDQ, *tt.wdq, 1e-9):
				t.Errorf("WDQ: got %v, want %v", *m.WDQ, *tt.wdq)
			}
			if !near(m.NetEffect, tt.net, 1e-9) {
				t.Errorf("NetEffect: got %v, want %v", m.NetEffect, tt.net)
			}
			if m.Reading != tt.reading {
				t.Errorf("Reading: got %q, want %q", m.Reading, tt.reading)
			}
		})
	}
}

func TestReadingEdges(t *testing.T) {
	tests := []struct {
		wdq  *float64
		want string
	}{
		{nil, ReadingNoSuccess},
		{ptr(1.0001), ReadingDiffusionExceeds},
		{ptr(1), ReadingDiffusion},
		{ptr(Negligible), ReadingDiffusion},
		{ptr(Negligible - 1e-12), ReadingNone},
		{ptr(0), ReadingNone},
		{ptr(-Negligible + 1e-12), ReadingNone},
		{ptr(-Negligible), ReadingDisplacement},
		{ptr(-1), ReadingDisplacement},
		{ptr(-1.0001), ReadingBackfire},
	}
	for _, tt := range tests {
		if got := reading(tt.wdq); got != tt.want {
			t.Errorf("reading(%v): got %q, want %q", show(tt.wdq), got, tt.want)
		}
	}
}

func show(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestMeasureNoControl(t *testing.T) {
	for _, c := range []Period{{0, 100}, {100, 0}, {0, 0}} {
		_, err := Measure(Areas{A: Period{50, 30}, B: Period{40, 32}, C: c})
		if !errors.Is(err, ErrNoControl) {
			t.Errorf("control %v: got error %v, want ErrNoControl", c, err)
		}
	}
}

// A 50→30, C 1000→1000:
//
//	OR = (50·1000) / (30·1000) = 5/3 = 1.6667
//	ln OR = ln 1.6667 = 0.510826
//	var = 1/50 + 1/30 + 1/1000 + 1/1000 = 0.02 + 0.033333 + 0.001 + 0.001 = 0.055333
//	sd = sqrt(0.055333) = 0.235230
//	z = 0.510826 / 0.235230 = 2.1716
//	p = erfc(2.1716 / √2) = 0.0299: significant
//	1.96·sd = 0.461052
//	Low = exp(0.510826 − 0.461052) = exp(0.049774) = 1.0510
//	High = exp(0.510826 + 0.461052) = exp(0.971877) = 2.6429
//
// A 40→36, C 500→450: OR = (40·450) / (36·500) = 18000/18000 = 1, z = 0,
// p = 1: not significant; sd = sqrt(1/40 + 1/36 + 1/500 + 1/450) =
// sqrt(0.025 + 0.027778 + 0.002 + 0.002222) = sqrt(0.057) = 0.238747, so
// the interval is exp(±0.467944) = 0.6263 to 1.5967.
func TestOddsRatioByHand(t *testing.T) {
	tests := []struct {
		name string
		a, c Period
		want Test
	}{
		{"area fell", Period{50, 30}, Period{1000, 1000}, Test{OddsRatio: 1.6667, Low: 1.0510, High: 2.6429, Z: 2.1716, P: 0.0299, Significant: true}},
		{"no difference", Period{40, 36}, Period{500, 450}, Test{OddsRatio: 1, Low: 0.6263, High: 1.5967, Z: 0, P: 1, Significant: false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OddsRatio(tt.a, tt.c)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			for _, f := range []struct {
				name      string
				got, want float64
			}{
				{"OddsRatio", got.OddsRatio, tt.want.OddsRatio},
				{"Low", got.Low, tt.want.Low},
				{"High", got.High, tt.want.High},
				{"Z", got.Z, tt.want.Z},
				{"P", got.P, tt.want.P},
			} {
				if !near(f.got, f.want, 5e-5) {
					t.Errorf("%s: got %.4f, want %.4f", f.name, f.got, f.want)
				}
			}
			if got.Significant != tt.want.Significant {
				t.Errorf("Significant: got %v, want %v", got.Significant, tt.want.Significant)
			}
		})
	}
}

func TestOddsRatioTooFew(t *testing.T) {
	for _, tt := range []struct{ a, c Period }{
		{Period{0, 30}, Period{1000, 1000}},
		{Period{50, 0}, Period{1000, 1000}},
		{Period{50, 30}, Period{0, 1000}},
		{Period{50, 30}, Period{1000, 0}},
	} {
		if _, err := OddsRatio(tt.a, tt.c); !errors.Is(err, ErrTooFew) {
			t.Errorf("OddsRatio(%v, %v): got error %v, want ErrTooFew", tt.a, tt.c, err)
		}
	}
}

func TestChange(t *testing.T) {
	tests := []struct {
		p    Period
		want *float64
	}{
		{Period{50, 30}, ptr(-0.4)}, // (30 − 50) / 50
		{Period{20, 25}, ptr(0.25)}, // (25 − 20) / 20
		{Period{7, 7}, ptr(0)},
		{Period{0, 5}, nil},
	}
	for _, tt := range tests {
		got := Change(tt.p)
		switch {
		case tt.want == nil && got != nil:
			t.Errorf("Change(%v): got %v, want nil", tt.p, *got)
		case tt.want != nil && (got == nil || !near(*got, *tt.want, 1e-12)):
			t.Errorf("Change(%v): got %v, want %v", tt.p, show(got), *tt.want)
		}
	}
}

func TestTooFew(t *testing.T) {
	tests := []struct {
		p    Period
		want bool
	}{{Period{4, 5}, true}, {Period{5, 5}, false}, {Period{0, 0}, true}, {Period{30, 0}, false}}
	for _, tt := range tests {
		if got := TooFew(tt.p); got != tt.want {
			t.Errorf("TooFew(%v): got %v, want %v", tt.p, got, tt.want)
		}
	}
}

// words measures areas, tests A against C on the same figures and says it.
func words(t *testing.T, areas Areas, what string) string {
	t.Helper()
	m, err := Measure(areas)
	if err != nil {
		t.Fatalf("Measure(%v): %v", areas, err)
	}
	ts, err := OddsRatio(areas.A, areas.C)
	if err != nil {
		t.Fatalf("OddsRatio(%v, %v): %v", areas.A, areas.C, err)
	}
	return Words(m, areas, &ts, what)
}

func TestWordsEachReading(t *testing.T) {
	tests := []struct {
		name  string
		areas Areas
		want  []string
	}{{
		name:  ReadingDiffusion,
		areas: Areas{A: Period{50, 30}, B: Period{40, 32}, C: Period{1000, 1000}},
		want: []string{"Harm fell 40 % in the area against no change in the control;",
			"the buffer fell too", "diffusion of benefit (the good spread next door).",
			"The fall in the area against the control is more than chance (p = 0.03)."},
	}, {
		name:  ReadingDiffusionExceeds,
		areas: Areas{A: Period{50, 40}, B: Period{40, 20}, C: Period{1000, 1000}},
		want:  []string{"Harm fell 20 %", "the buffer fell by more than the area", "bigger next door than in the area", "could be chance"},
	}, {
		name:  ReadingNone,
		areas: Areas{A: Period{50, 30}, B: Period{40, 32}, C: Period{1000, 800}},
		want:  []string{"against 20 % in the control", "the buffer hardly changed against the control", "no sign that harm moved next door"},
	}, {
		name:  ReadingDisplacement,
		areas: Areas{A: Period{50, 30}, B: Period{40, 50}, C: Period{1000, 1000}},
		want:  []string{"the buffer rose against the control: some harm may have moved next door, less than the area's fall"},
	}, {
		name:  ReadingBackfire,
		areas: Areas{A: Period{50, 40}, B: Period{40, 70}, C: Period{1000, 1000}},
		want:  []string{"the buffer rose against the control: more harm may have moved next door than the area's fall"},
	}, {
		name:  ReadingNoSuccess,
		areas: Areas{A: Period{30, 50}, B: Period{40, 40}, C: Period{1000, 1000}},
		want: []string{"Harm rose 67 % in the area",
			"harm did not fall in the area against the control: there is no success to weigh displacement against.",
			"The rise in the area against the control"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := words(t, tt.areas, "harm")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("got %q, want it to contain %q", got, w)
				}
			}
		})
	}
}

func TestWordsWhole(t *testing.T) {
	// A fell (50 − 30)/50 = 40 %, C fell (1000 − 950)/1000 = 5 %.
	// SM = 30/950 − 50/1000 = −0.018421, BDM = 32/950 − 40/1000 = −0.006316:
	// WDQ = 0.343, diffusion. OR = (50·950)/(30·1000) = 1.5833, ln OR = 0.459532,
	// sd = sqrt(1/50 + 1/30 + 1/1000 + 1/950) = sqrt(0.055386) = 0.235343,
	// z = 1.9526, p = 0.051: could be chance.
	areas := Areas{A: Period{50, 30}, B: Period{40, 32}, C: Period{1000, 950}}
	got := words(t, areas, "harm")
	want := "Harm fell 40 % in the area against 5 % in the control; the buffer fell too, against the control: " +
		"diffusion of benefit (the good spread next door). The fall in the area against the control could be chance (p = 0.051)."
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestWordsShifts(t *testing.T) {
	m := Measures{Reading: ReadingNoSuccess}
	tests := []struct {
		name  string
		areas Areas
		want  string
	}{
		{"no change in the area", Areas{A: Period{20, 20}, C: Period{100, 80}}, "Reports did not change in the area against a fall of 20 % in the control;"},
		{"opposite ways", Areas{A: Period{20, 10}, C: Period{100, 120}}, "Reports fell 50 % in the area against a rise of 20 % in the control;"},
		{"under a percent", Areas{A: Period{1000, 996}, C: Period{100, 90}}, "Reports fell less than 1 % in the area against 10 % in the control;"},
		{"from nothing", Areas{A: Period{0, 7}, C: Period{100, 110}}, "Reports rose from 0 to 7 in the area against 10 % in the control;"},
		{"control from nothing", Areas{A: Period{5, 7}, C: Period{0, 3}}, "Reports rose 40 % in the area against a rise from 0 to 3 in the control;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Words(m, tt.areas, nil, "reports")
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("got %q, want it to start %q", got, tt.want)
			}
			if strings.Contains(got, "chance") {
				t.Errorf("got %q, want nothing about chance without a test", got)
			}
		})
	}
}

func TestWordsP(t *testing.T) {
	tests := []struct {
		t    Test
		want string
	}{
		{Test{OddsRatio: 2, P: 0.0004, Significant: true}, "is more than chance (p < 0.001)."},
		{Test{OddsRatio: 2, P: 0.0123, Significant: true}, "is more than chance (p = 0.012)."},
		{Test{OddsRatio: 2, P: 0.0499, Significant: true}, "is more than chance (p < 0.05)."},
		{Test{OddsRatio: 2, P: 0.31}, "fall in the area against the control could be chance (p = 0.31)."},
		{Test{OddsRatio: 0.5, P: 0.31}, "rise in the area against the control could be chance (p = 0.31)."},
		{Test{OddsRatio: 1, P: 1}, "change in the area against the control could be chance (p = 1.00)."},
	}
	areas := Areas{A: Period{50, 30}, C: Period{1000, 1000}}
	for _, tt := range tests {
		if got := Words(Measures{}, areas, &tt.t, "harm"); !strings.HasSuffix(got, tt.want) {
			t.Errorf("p %v: got %q, want it to end %q", tt.t.P, got, tt.want)
		}
	}
}
