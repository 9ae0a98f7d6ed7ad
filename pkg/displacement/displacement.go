// Package displacement evaluates a response at a location of concern: the
// response area A (a set of H3 cells), its buffer B (the cells within k
// rings around A) and the control C (the rest of the study area), each
// with a figure for the weeks before a date and the same number of weeks
// after it.
//
// It computes the measures of Bowers and Johnson (2003), "Measuring the
// geographical displacement and diffusion of benefit effects of crime
// prevention activity", Journal of Quantitative Criminology 19(3):
//
//	SM  = A1/C1 − A0/C0                       success measure
//	BDM = B1/C1 − B0/C0                       buffer displacement measure
//	WDQ = BDM / SM                            only when SM < 0
//	net = (A0·C1/C0 − A1) + (B0·C1/C0 − B1)   harm prevented in A and B
//
// a significance test of A against C (the relative effect size of
// Farrington and Welsh) and a reading in plain words. It knows no HTTP and
// no SQL.
package displacement

import "errors"

// ErrNoControl is returned when the control has nothing before or after
// the date, so that no ratio to it is defined.
var ErrNoControl = errors.New("displacement: control is empty before or after the date")

// Readings of the WDQ, as they appear in JSON.
const (
	// ReadingNoSuccess: harm did not fall in A against C (SM >= 0), so
	// there is no success to weigh displacement against.
	ReadingNoSuccess = "no_success"
	// ReadingDiffusion: Negligible <= WDQ <= 1, the buffer improved too.
	ReadingDiffusion = "diffusion"
	// ReadingDiffusionExceeds: WDQ > 1, the buffer improved by more than
	// the response area.
	ReadingDiffusionExceeds = "diffusion_exceeds"
	// ReadingNone: |WDQ| < Negligible, the buffer hardly moved against the
	// control.
	ReadingNone = "no_displacement"
	// ReadingDisplacement: −1 <= WDQ < 0, some displacement into the
	// buffer, less than the direct benefit: the net effect is not negative.
	ReadingDisplacement = "displacement"
	// ReadingBackfire: WDQ < −1, more displacement into the buffer than
	// the direct benefit: the net effect is negative.
	ReadingBackfire = "displacement_exceeds"
)

// Period is a figure of one area in the weeks before and after the date.
type Period struct{ Before, After float64 }

// Areas are the figures of the response area A, its buffer B and the control C.
type Areas struct{ A, B, C Period }

// Measures are Bowers & Johnson's measures of Areas.
type Measures struct {
	// SuccessMeasure = A1/C1 − A0/C0: negative when harm fell in A relative to C.
	SuccessMeasure float64
	// BufferMeasure = B1/C1 − B0/C0: positive is displacement into the
	// buffer, negative diffusion of benefit.
	BufferMeasure float64
	// WDQ = BufferMeasure / SuccessMeasure; nil when SuccessMeasure >= 0,
	// since the WDQ is only read when the response succeeded.
	WDQ *float64
	// NetEffect = [A0·C1/C0 − A1] + [B0·C1/C0 − B1]: positive is the harm
	// (or reports) prevented in A and B together, as the control's trend
	// would have it.
	NetEffect float64
	// Reading is the WDQ's class: one of the Reading* constants.
	Reading string
}

// Measure computes Bowers & Johnson's measures of a; it returns
// ErrNoControl when the control is 0 before or after the date.
func Measure(a Areas) (Measures, error) {
	if a.C.Before == 0 || a.C.After == 0 {
		return Measures{}, ErrNoControl
	}
	trend := a.C.After / a.C.Before
	m := Measures{
		SuccessMeasure: a.A.After/a.C.After - a.A.Before/a.C.Before,
		BufferMeasure:  a.B.After/a.C.After - a.B.Before/a.C.Before,
		NetEffect:      (a.A.Before*trend - a.A.After) + (a.B.Before*trend - a.B.After),
	}
	if m.SuccessMeasure < 0 {
		// A buffer that did not move gives 0, not the −0 of 0 / SM < 0.
		w := 0.0
		if m.BufferMeasure != 0 {
			w = m.BufferMeasure / m.SuccessMeasure
		}
		m.WDQ = &w
	}
	m.Reading = reading(m.WDQ)
	return m, nil
}

// Negligible is the size of a WDQ too small to read as displacement or
// diffusion: the buffer's change against the control is under a tenth of
// the area's, within what the noise of counts (and of a release's
// perturbation) moves it by.
const Negligible = 0.1

// reading classes a WDQ; nil means there was no success.
func reading(wdq *float64) string {
	switch w := wdq; {
	case w == nil:
		return ReadingNoSuccess
	case *w > 1:
		return ReadingDiffusionExceeds
	case *w >= Negligible:
		return ReadingDiffusion
	case *w > -Negligible:
		return ReadingNone
	case *w >= -1:
		return ReadingDisplacement
	default:
		return ReadingBackfire
	}
}

// Change is the relative change (After − Before) / Before of p, as a
// fraction; nil when Before is 0.
func Change(p Period) *float64 {
	if p.Before == 0 {
		return nil
	}
	c := (p.After - p.Before) / p.Before
	return &c
}

// MinReports is the fewest plain reports in the response area, before and
// after the date together, on which an evaluation says anything: with
// fewer, it says there are too few reports.
const MinReports = 10

// TooFew reports whether the plain report counts of the response area are
// too few to evaluate (fewer than MinReports before and after together).
func TooFew(plainA Period) bool { return plainA.Before+plainA.After < MinReports }
