package intel

import "strconv"

// Grading is the UK 3x5x2 evaluation of a report.
type Grading struct {
	// Source is the source evaluation: 1 reliable, 2 untested, 3 not reliable.
	Source int `json:"source"`
	// Assessment is the intelligence assessment: A known directly, B known
	// indirectly and corroborated, C known indirectly, D not known, E suspected false.
	Assessment string `json:"assessment"`
	// Handling is P (lawful sharing permitted) or C (conditions apply).
	Handling string `json:"handling"`
	// Conditions are the sharing conditions; required with handling C.
	Conditions string `json:"conditions,omitempty"`
}

// Grade is one value of a part of the grading: its code, what it means
// and, for the source and the assessment, its weight in q.
type Grade struct {
	Code   string
	Label  string
	Weight float64
}

// The grades: the one place they are written. The taxonomy endpoint, the
// validation messages, q and the benchmark's SQL all read them.
var (
	Sources     = []Grade{{"1", "reliable", 1.0}, {"2", "untested", 0.7}, {"3", "not reliable", 0.4}}
	Assessments = []Grade{{"A", "known directly", 1.0}, {"B", "known indirectly, corroborated", 0.85},
		{"C", "known indirectly", 0.6}, {"D", "not known", 0.4}, {"E", "suspected false", 0}}
	Handlings = []Grade{{"P", "lawful sharing permitted", 0}, {"C", "conditions apply (state them)", 0}}
)

var (
	sourceWeight     = weights(Sources)
	assessmentWeight = weights(Assessments)
)

func weights(gs []Grade) map[string]float64 {
	m := map[string]float64{}
	for _, g := range gs {
		m[g.Code] = g.Weight
	}
	return m
}

// Labels maps the codes of grades to what they mean.
func Labels(gs []Grade) map[string]string {
	m := map[string]string{}
	for _, g := range gs {
		m[g.Code] = g.Label
	}
	return m
}

// Confidence is q = source × assessment: how much the report counts in a
// score. An E assessment (suspected false) never scores.
func (g Grading) Confidence() float64 {
	return sourceWeight[strconv.Itoa(g.Source)] * assessmentWeight[g.Assessment]
}

// AssessmentRank orders assessments: A is 1, E is 5, anything else 0.
func AssessmentRank(a string) int {
	if len(a) != 1 || a[0] < 'A' || a[0] > 'E' {
		return 0
	}
	return int(a[0]-'A') + 1
}

func (g Grading) validate() []FieldError {
	var errs []FieldError
	if _, ok := sourceWeight[strconv.Itoa(g.Source)]; !ok {
		errs = append(errs, FieldError{Field: "grading.source", Message: "must be 1 (reliable), 2 (untested) or 3 (not reliable)", Code: chosen(g.Source != 0)})
	}
	if _, ok := assessmentWeight[g.Assessment]; !ok {
		errs = append(errs, FieldError{Field: "grading.assessment", Message: "must be A, B, C, D or E", Code: chosen(g.Assessment != "")})
	}
	switch g.Handling {
	case "P":
		if g.Conditions != "" {
			errs = append(errs, FieldError{Field: "grading.conditions", Message: "only with handling C"})
		}
	case "C":
		if g.Conditions == "" {
			errs = append(errs, FieldError{Field: "grading.conditions", Message: "required with handling C: state the conditions", Code: CodeRequired})
		}
	default:
		errs = append(errs, FieldError{Field: "grading.handling", Message: "must be P (sharing permitted) or C (conditions apply)", Code: chosen(g.Handling != "")})
	}
	if len(g.Conditions) > 500 {
		errs = append(errs, FieldError{Field: "grading.conditions", Message: "at most 500 characters"})
	}
	return errs
}

// chosen is the code of a value not allowed: CodeNotAllowed when one was
// given, CodeRequired when none was.
func chosen(given bool) string {
	if given {
		return CodeNotAllowed
	}
	return CodeRequired
}

// Validate checks a grading on its own (an evaluator's), naming its fields
// grading.source, grading.assessment, grading.handling, grading.conditions.
func (g Grading) Validate() FieldErrors { return g.validate() }
