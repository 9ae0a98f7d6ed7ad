package intel

import (
	"regexp"
	"slices"
)

// Tactic is a disruption tactic a tasking meeting may task an agency with
// at a location of concern.
type Tactic struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// Tactics is the fixed list of tactics an action may take.
var Tactics = []Tactic{
	{"closure_order", "Closure order"},
	{"cawn", "Child Abduction Warning Notice"},
	{"licensing_review", "Licensing review"},
	{"operation_makesafe", "Operation Makesafe (hotels, taxis, takeaways)"},
	{"detached_youth_work", "Detached youth work"},
	{"school_engagement", "School engagement"},
	{"patrol_plan", "Patrol plan"},
	{"cuckooing_visit", "Cuckooing safeguarding visit"},
	{"environmental_change", "Environmental change (lighting, CCTV)"},
	{"other_disruption", "Other disruption"},
}

// TacticByCode finds a tactic.
func TacticByCode(code string) (Tactic, bool) {
	i := slices.IndexFunc(Tactics, func(t Tactic) bool { return t.Code == code })
	if i < 0 {
		return Tactic{}, false
	}
	return Tactics[i], true
}

// ActionStatuses are the states of an action, in the order they are met.
var ActionStatuses = []string{"planned", "in_progress", "done", "cancelled"}

// CodePersonalData: text that holds what looks like personal data.
const CodePersonalData = "personal_data"

// personalData are patterns of personal data that have no place in a
// short note on an action: e-mail addresses, UK phone numbers, full
// postcodes, National Insurance numbers and dates of birth.
var personalData = []struct {
	what string
	re   *regexp.Regexp
}{
	{"an e-mail address", regexp.MustCompile(`(?i)[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}`)},
	{"a phone number", regexp.MustCompile(`(?:\+44\s?|\b0)(?:\d[\s-]?){9,10}\b`)},
	{"a full postcode", regexp.MustCompile(`(?i)\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b`)},
	{"a National Insurance number", regexp.MustCompile(`(?i)\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b`)},
	{"a date of birth", regexp.MustCompile(`(?i)\b(?:dob|d\.o\.b\.?|date of birth|born)\b`)},
}

// PersonalData names the first kind of personal data s seems to hold, or
// returns "". It catches the obvious, not everything: the form asks for
// no names or other personal data, and this refuses what is plainly one.
func PersonalData(s string) string {
	for _, p := range personalData {
		if p.re.MatchString(s) {
			return p.what
		}
	}
	return ""
}
