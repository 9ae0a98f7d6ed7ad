package intel

import (
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
)

// Report statuses.
const (
	StatusLive      = "live"
	StatusWithdrawn = "withdrawn"
	// StatusPending reports wait for a police evaluator and count nowhere.
	StatusPending = "pending_evaluation"
	// StatusNotCounted reports were evaluated as not counting (no further
	// action, or a duplicate of another report).
	StatusNotCounted = "not_counted"
)

// Statuses lists the statuses of a report.
var Statuses = []string{StatusLive, StatusPending, StatusNotCounted, StatusWithdrawn}

// Unevaluated is the grading a pending report holds until an evaluator
// grades it: E (suspected false) scores nothing, should it ever be read.
var Unevaluated = Grading{Source: 3, Assessment: "E", Handling: "P"}

// Limits on what a report may hold.
const (
	MaxExternalRef = 128
	MaxNarrative   = 2000
	DefaultPrec    = 100
	MaxPrecision   = 10000
)

// Report is one piece of geotagged, graded intelligence.
type Report struct {
	ID          uuid.UUID
	AgencyID    uuid.UUID
	ExternalRef string
	Category    string
	Indicators  []string
	ObservedAt  time.Time
	Location    Point
	PrecisionM  float64
	Grading     Grading
	// Graded is false when the submission carried no grading.
	Graded bool
	// SuggestedGrading is what an agency that does not grade its own
	// reports suggested; an evaluator decides.
	SuggestedGrading *Grading
	// Evaluation is the latest evaluation, if any.
	Evaluation *Evaluation
	// OriginalNarrative is the narrative as submitted, once an evaluator
	// has sanitised it (for evaluators only).
	OriginalNarrative string
	// Corroborated: another agency's counted report lies within the
	// corroboration distance and time.
	Corroborated   bool
	Classification string
	Narrative      string
	Status         string
	ReviewAt       time.Time
	Seq            int64
	Cell           hexgrid.Cell
	// Cells hold the report at each hotspot resolution (LatLngToCell at
	// each; Cell is the finest). It counts in these.
	Cells hexgrid.Cells
	// Spread shares its weight out over the cells its precision disk
	// overlaps, at the resolutions whose cells are smaller than its
	// precision (hexgrid.Spreads); the cell's resolution says which.
	Spread    []hexgrid.Share
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Submission is a report as a partner sends it, before validation.
type Submission struct {
	ExternalRef    string          `json:"external_ref"`
	Category       string          `json:"category"`
	Indicators     []string        `json:"indicators,omitempty"`
	ObservedAt     string          `json:"observed_at"`
	Location       json.RawMessage `json:"location"`
	PrecisionM     *float64        `json:"precision_m,omitempty"`
	Grading        *Grading        `json:"grading"`
	Classification string          `json:"classification"`
	Narrative      string          `json:"narrative,omitempty"`
}

// FieldError names one field of a request and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	// Code is the kind of mistake, for a client that says it in its own
	// words (one of the Code constants); empty for any other.
	Code string `json:"code,omitempty"`
}

// The kinds of mistake a FieldError's Code names.
const (
	// CodeRequired: the field is missing or empty.
	CodeRequired = "required"
	// CodeNotAllowed: a value that is not one of those allowed.
	CodeNotAllowed = "not_allowed"
	// CodeFuture: a time that has not come yet.
	CodeFuture = "future"
	// CodeTooOld: a time further back than allowed.
	CodeTooOld = "too_old"
	// CodeOutsideArea: a place outside the service area.
	CodeOutsideArea = "outside_area"
	// CodeTooLong: text longer than allowed.
	CodeTooLong = "too_long"
)

// FieldErrors are the mistakes of a request, field by field: as an error,
// the API answers it with 400 and every one of them.
type FieldErrors []FieldError

// Add adds the problem msg of field.
func (fe *FieldErrors) Add(field, msg string) {
	*fe = append(*fe, FieldError{Field: field, Message: msg})
}

// AddCode adds the problem msg of field, of the kind code.
func (fe *FieldErrors) AddCode(field, code, msg string) {
	*fe = append(*fe, FieldError{Field: field, Message: msg, Code: code})
}

func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Field + ": " + e.Message
	}
	return strings.Join(parts, "; ")
}

// Validator checks submissions against the service area, the clock and the
// retention period.
type Validator struct {
	Area *ServiceArea
	// Retention is how long a report is kept before review; reports
	// observed longer ago than that are refused.
	Retention time.Duration
	// ByCategory overrides Retention for some categories.
	ByCategory map[string]time.Duration
	// Skew is how far in the future observed_at may be, for clocks that differ.
	Skew time.Duration
	Now  func() time.Time
	// Spreader, when set, keeps the cells it meets between reports.
	Spreader *hexgrid.Spreader
}

// Validate checks s and returns the report it describes (without id,
// agency or status), or every reason it is refused.
func (v *Validator) Validate(s Submission) (Report, FieldErrors) {
	r := Report{
		ExternalRef: s.ExternalRef, Category: s.Category, Classification: s.Classification,
		Narrative: s.Narrative, Status: StatusLive, PrecisionM: DefaultPrec,
	}
	var errs FieldErrors

	switch {
	case s.ExternalRef == "":
		errs.AddCode("external_ref", CodeRequired, "required: your own system's id for this report")
	case len(s.ExternalRef) > MaxExternalRef:
		errs.Add("external_ref", fmt.Sprintf("at most %d characters", MaxExternalRef))
	case strings.IndexFunc(s.ExternalRef, unicode.IsControl) >= 0 || !utf8.ValidString(s.ExternalRef):
		errs.Add("external_ref", "must not contain control characters")
	}

	if _, ok := CategoryByCode(s.Category); !ok {
		errs.AddCode("category", cmp.Or(missing(s.Category), CodeNotAllowed), "unknown category; GET /api/v1/taxonomy lists them")
	}
	seen := map[string]bool{}
	for i, ind := range s.Indicators {
		field := "indicators[" + strconv.Itoa(i) + "]"
		switch {
		case !ValidIndicator(ind):
			errs.Add(field, fmt.Sprintf("unknown indicator %q; GET /api/v1/taxonomy lists them", truncate(ind, 40)))
		case seen[ind]:
			errs.Add(field, fmt.Sprintf("%q is listed twice", ind))
		}
		seen[ind] = true
	}
	r.Indicators = make([]string, 0, len(seen))
	for k := range seen {
		r.Indicators = append(r.Indicators, k)
	}
	slices.Sort(r.Indicators)

	period := v.RetentionOf(s.Category)
	if t, code, msg := v.observedAt(s.ObservedAt, period); msg != "" {
		errs.AddCode("observed_at", code, msg)
	} else {
		r.ObservedAt = t
		r.ReviewAt = t.Add(period)
	}

	p, grid, locErrs := parseLocation(s.Location)
	errs = append(errs, locErrs...)
	if locErrs == nil {
		if code, msg := v.inArea(p, grid); msg != "" {
			errs.AddCode("location", code, msg)
		} else {
			r.Location = p
		}
	}

	if s.PrecisionM != nil {
		if *s.PrecisionM <= 0 || *s.PrecisionM > MaxPrecision {
			errs.Add("precision_m", fmt.Sprintf("must be more than 0 and at most %d metres", MaxPrecision))
		}
		r.PrecisionM = *s.PrecisionM
	}

	// A grading is optional: without one the report waits for evaluation.
	if s.Grading != nil {
		errs = append(errs, s.Grading.validate()...)
		r.Grading, r.Graded = *s.Grading, true
	} else {
		r.Status, r.Grading = StatusPending, Unevaluated
	}

	if !slices.Contains(Classifications, s.Classification) {
		errs.AddCode("classification", cmp.Or(missing(s.Classification), CodeNotAllowed), "must be OFFICIAL or OFFICIAL-SENSITIVE")
	}
	if n := utf8.RuneCountInString(s.Narrative); n > MaxNarrative {
		errs.AddCode("narrative", CodeTooLong, fmt.Sprintf("at most %d characters, got %d", MaxNarrative, n))
	}
	for field, val := range map[string]string{"narrative": s.Narrative, "grading.conditions": r.Grading.Conditions} {
		if !utf8.ValidString(val) || strings.ContainsRune(val, 0) {
			errs.Add(field, "must be valid UTF-8 text without NUL characters")
		}
	}

	if errs == nil {
		if err := v.Place(&r); err != nil {
			errs.Add("location", "no H3 cells for this point")
		}
	}
	if errs != nil {
		slices.SortStableFunc(errs, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
		return Report{}, errs
	}
	return r, nil
}

// Place sets the cells that hold r at every hotspot resolution and the
// spread of its weight at those finer than its precision.
func (v *Validator) Place(r *Report) error {
	cells, err := hexgrid.Containing(r.Location.Lat, r.Location.Lon)
	if err != nil {
		return err
	}
	sp := v.Spreader
	if sp == nil {
		sp = &hexgrid.Spreader{}
	}
	spread, err := sp.SpreadAll(cells, r.Location.Lat, r.Location.Lon, r.PrecisionM)
	if err != nil {
		return err
	}
	r.Cells, r.Cell, r.Spread = cells, cells.At(hexgrid.MaxRes), spread
	return nil
}

// Intake decides whether a validated report counts as it stands: a graded
// report of an agency that grades its own (selfGrading) is live; any other
// waits for evaluation, its grading kept as a suggestion.
func (r *Report) Intake(selfGrading bool) {
	if r.Graded && selfGrading {
		r.Status = StatusLive
		return
	}
	if r.Graded {
		g := r.Grading
		r.SuggestedGrading = &g
	}
	r.Status, r.Grading = StatusPending, Unevaluated
}

// RetentionOf is the retention period of a category.
func (v *Validator) RetentionOf(category string) time.Duration {
	if d, ok := v.ByCategory[category]; ok {
		return d
	}
	return v.Retention
}

// observedAt reads an observation time, or says what is wrong with it
// (its code and message).
func (v *Validator) observedAt(s string, retention time.Duration) (time.Time, string, string) {
	if s == "" {
		return time.Time{}, CodeRequired, "required: when it was observed, RFC 3339 with offset, e.g. 2026-05-01T14:30:00+01:00"
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
			if _, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
				return time.Time{}, "", "needs a UTC offset: write it as 2026-05-01T14:30:00Z or 2026-05-01T14:30:00+01:00"
			}
		}
		return time.Time{}, "", fmt.Sprintf("must be an RFC 3339 time with offset, e.g. 2026-05-01T14:30:00+01:00; got %q", truncate(s, 40))
	}
	now := v.Now()
	switch {
	case t.After(now.Add(v.Skew)):
		return time.Time{}, CodeFuture, "is in the future"
	case t.Before(now.Add(-retention)):
		return time.Time{}, CodeTooOld, fmt.Sprintf("is older than the retention period (%d days): it would be due for disposal already", int(retention.Hours()/24))
	}
	return t.UTC(), "", ""
}

// missing is CodeRequired when s is empty, else "".
func missing(s string) string {
	if s == "" {
		return CodeRequired
	}
	return ""
}

// inArea says what is wrong with a point outside the service area (its
// code and message): a point whose swapped coordinates lie inside has no
// code, so that clients show the message, which says so.
func (v *Validator) inArea(p Point, grid Grid) (string, string) {
	if v.Area.Contains(p) {
		return "", ""
	}
	if grid == LatLon && v.Area.Contains(Point{Lat: p.Lon, Lon: p.Lat}) {
		return "", fmt.Sprintf("outside the service area; lat and lon look swapped: lat %v, lon %v is inside", p.Lon, p.Lat)
	}
	return CodeOutsideArea, "outside the service area"
}

// submittedGrading is the grading as the agency sent it: a pending
// report's suggestion (none: the zero grading), a live report's own.
func (r *Report) submittedGrading() Grading {
	switch {
	case r.SuggestedGrading != nil:
		return *r.SuggestedGrading
	case r.Status == StatusPending:
		return Grading{}
	}
	return r.Grading
}

// ContentHash identifies what a report says, so that a resubmission of the
// same content is recognised as a safe retry and different content under
// the same external_ref as a conflict.
func (r *Report) ContentHash() []byte {
	canon, err := json.Marshal(struct {
		Ref, Cat, Class, Narr string
		Ind                   []string
		At                    string
		Lat, Lon, Prec        string
		G                     Grading
	}{
		r.ExternalRef, r.Category, r.Classification, r.Narrative, r.Indicators,
		r.ObservedAt.UTC().Format(time.RFC3339Nano),
		strconv.FormatFloat(r.Location.Lat, 'f', 7, 64), strconv.FormatFloat(r.Location.Lon, 'f', 7, 64),
		strconv.FormatFloat(r.PrecisionM, 'f', -1, 64), r.submittedGrading(),
	})
	if err != nil {
		// Strings and integers only: encoding them cannot fail.
		panic("intel: content hash: " + err.Error())
	}
	h := sha256.Sum256(canon)
	return h[:]
}

// The outcomes of an evaluation. The first three count in hotspots
// (safeguarding referrals and crime reports with their reference);
// NoFurtherAction never counts; DuplicateOf counts once, as corroboration
// of the report it repeats.
const (
	OutcomeIntelligence = "intelligence"
	OutcomeSafeguarding = "safeguarding_referral"
	OutcomeCrimeReport  = "crime_report"
	OutcomeNFA          = "no_further_action"
	OutcomeDuplicate    = "duplicate_of"
)

// Outcomes lists the outcomes of an evaluation.
var Outcomes = []string{OutcomeIntelligence, OutcomeSafeguarding, OutcomeCrimeReport, OutcomeNFA, OutcomeDuplicate}

// Counts reports whether a report evaluated with outcome counts in hotspots.
func Counts(outcome string) bool {
	return outcome == OutcomeIntelligence || outcome == OutcomeSafeguarding || outcome == OutcomeCrimeReport
}

// Evaluation is what a police evaluator decided about a report.
type Evaluation struct {
	Outcome string
	// Reference is the safeguarding referral's or crime report's number.
	Reference   string
	DuplicateOf *uuid.UUID
	At          time.Time
}
