package displacement

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Words says in a sentence or two, for a tasking meeting, how what ("harm"
// or "reports") moved in the response area against the control, what the
// buffer's reading means and, when t is not nil, whether the change could
// be chance.
func Words(m Measures, areas Areas, t *Test, what string) string {
	area, control := shiftOf(areas.A), shiftOf(areas.C)
	s := capital(what) + " " + area.verb() + " in the area against " + control.against(area) + " in the control"
	if r := readingWords(m.Reading, what); r != "" {
		s += "; " + r
	}
	s += "."
	if t != nil {
		s += " " + chanceWords(t)
	}
	return s
}

// readingWords says what a reading means; "" for a reading it does not know.
func readingWords(r, what string) string {
	switch r {
	case ReadingNoSuccess:
		return what + " did not fall in the area against the control: there is no success to weigh displacement against"
	case ReadingDiffusion:
		return "the buffer fell too, against the control: diffusion of benefit (the good spread next door)"
	case ReadingDiffusionExceeds:
		return "the buffer fell by more than the area, against the control: diffusion of benefit, bigger next door than in the area"
	case ReadingNone:
		return "the buffer hardly changed against the control: no sign that " + what + " moved next door"
	case ReadingDisplacement:
		return "the buffer rose against the control: some " + what + " may have moved next door, less than the area's fall"
	case ReadingBackfire:
		return "the buffer rose against the control: more " + what + " may have moved next door than the area's fall"
	}
	return ""
}

// chanceWords says whether the change in the area against the control
// could be chance.
func chanceWords(t *Test) string {
	change := "change"
	switch {
	case t.OddsRatio > 1:
		change = "fall"
	case t.OddsRatio < 1:
		change = "rise"
	}
	verdict := "could be chance"
	if t.Significant {
		verdict = "is more than chance"
	}
	return fmt.Sprintf("The %s in the area against the control %s (%s).", change, verdict, pWords(t))
}

// pWords writes the p-value of t short enough to read aloud, never so
// rounded that a significant p reads as 0.05.
func pWords(t *Test) string {
	switch {
	case t.P < 0.001:
		return "p < 0.001"
	case t.P < 0.1:
		s := strconv.FormatFloat(t.P, 'f', 3, 64)
		if t.Significant && s == "0.050" {
			return "p < 0.05"
		}
		return "p = " + strings.TrimRight(s, "0")
	}
	return "p = " + strconv.FormatFloat(t.P, 'f', 2, 64)
}

// shift is how a figure moved from before the date to after it.
type shift struct {
	dir      int    // the sign of After − Before
	size     string // "40 %", "less than 1 %" or, from nothing, "from 0 to 7"
	fromZero bool   // Before was 0, so there is no percentage
}

// shiftOf says how p moved, in whole percentages.
func shiftOf(p Period) shift {
	var s shift
	switch d := p.After - p.Before; {
	case d > 0:
		s.dir = 1
	case d < 0:
		s.dir = -1
	default:
		return s
	}
	c := Change(p)
	if c == nil {
		s.fromZero = true
		s.size = "from 0 to " + strconv.FormatFloat(math.Round(p.After*10)/10, 'f', -1, 64)
		return s
	}
	pct := math.Round(math.Abs(*c) * 100)
	if pct == 0 {
		s.size = "less than 1 %"
	} else {
		s.size = strconv.FormatFloat(pct, 'f', 0, 64) + " %"
	}
	return s
}

// verb is the shift as a verb: "fell 40 %", "did not change".
func (s shift) verb() string {
	switch s.dir {
	case 1:
		return "rose " + s.size
	case -1:
		return "fell " + s.size
	}
	return "did not change"
}

// against is the shift set beside other: its size alone when both moved
// the same way ("40 % in the area against 5 %"), else a noun ("a rise of 5 %").
func (s shift) against(other shift) string {
	if s.dir == 0 {
		return "no change"
	}
	if s.dir == other.dir && !s.fromZero {
		return s.size
	}
	noun := "a fall"
	if s.dir > 0 {
		noun = "a rise"
	}
	if s.fromZero {
		return noun + " " + s.size
	}
	return noun + " of " + s.size
}

// capital gives w a capital first letter, to open a sentence.
func capital(w string) string {
	if w == "" {
		return w
	}
	r, n := utf8.DecodeRuneInString(w)
	return string(unicode.ToUpper(r)) + w[n:]
}
