package intel

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

var (
	sourceWeight     = map[int]float64{1: 1.0, 2: 0.7, 3: 0.4}
	assessmentWeight = map[string]float64{"A": 1.0, "B": 0.85, "C": 0.6, "D": 0.4, "E": 0}
)

// Confidence is q = source × assessment: how much the report counts in a
// score. An E assessment (suspected false) never scores.
func (g Grading) Confidence() float64 {
	return sourceWeight[g.Source] * assessmentWeight[g.Assessment]
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
	if _, ok := sourceWeight[g.Source]; !ok {
		errs = append(errs, FieldError{"grading.source", "must be 1 (reliable), 2 (untested) or 3 (not reliable)"})
	}
	if _, ok := assessmentWeight[g.Assessment]; !ok {
		errs = append(errs, FieldError{"grading.assessment", "must be A, B, C, D or E"})
	}
	switch g.Handling {
	case "P":
		if g.Conditions != "" {
			errs = append(errs, FieldError{"grading.conditions", "only with handling C"})
		}
	case "C":
		if g.Conditions == "" {
			errs = append(errs, FieldError{"grading.conditions", "required with handling C: state the conditions"})
		}
	default:
		errs = append(errs, FieldError{"grading.handling", "must be P (sharing permitted) or C (conditions apply)"})
	}
	if len(g.Conditions) > 500 {
		errs = append(errs, FieldError{"grading.conditions", "at most 500 characters"})
	}
	return errs
}
