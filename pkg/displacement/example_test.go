package displacement

import "fmt"

func ExampleMeasure() {
	m, err := Measure(Areas{A: Period{50, 30}, B: Period{40, 32}, C: Period{1000, 1000}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("SM %.3f, BDM %.3f, WDQ %.1f, net %.0f, %s\n", m.SuccessMeasure, m.BufferMeasure, *m.WDQ, m.NetEffect, m.Reading)
	// Output:
	// SM -0.020, BDM -0.008, WDQ 0.4, net 28, diffusion
}

func ExampleOddsRatio() {
	t, err := OddsRatio(Period{50, 30}, Period{1000, 1000})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("OR %.4f (%.4f to %.4f), z %.4f, p %.4f, significant %v\n", t.OddsRatio, t.Low, t.High, t.Z, t.P, t.Significant)
	// Output:
	// OR 1.6667 (1.0510 to 2.6429), z 2.1716, p 0.0299, significant true
}

func ExampleChange() {
	fmt.Printf("%.2f %v\n", *Change(Period{50, 30}), Change(Period{0, 4}))
	// Output:
	// -0.40 <nil>
}

func ExampleTooFew() {
	fmt.Println(TooFew(Period{4, 5}), TooFew(Period{6, 4}))
	// Output:
	// true false
}

func ExampleWords() {
	areas := Areas{A: Period{50, 30}, B: Period{40, 50}, C: Period{1000, 1000}}
	m, _ := Measure(areas)
	t, _ := OddsRatio(areas.A, areas.C)
	fmt.Println(Words(m, areas, &t, "reports"))
	// Output:
	// Reports fell 40 % in the area against no change in the control; the buffer rose against the control: some reports may have moved next door, less than the area's fall. The fall in the area against the control is more than chance (p = 0.03).
}
