package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/geojson"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/snapshot"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// evaluationsQuery is the query of GET /api/v1/evaluations.
type evaluationsQuery struct{ filter store.PendingFilter }

func (q *evaluationsQuery) parse(v url.Values) intel.FieldErrors {
	r := queryReader{v: v}
	f := &q.filter
	f.AgencyIDs = r.agencies("agency")
	f.Categories = r.categories("category")
	f.BBox = r.bbox("bbox")
	f.AfterAt, f.AfterID = r.timeIDCursor()
	f.Limit = r.limit()
	return r.errs
}

// listEvaluations is the evaluation queue: reports waiting for
// evaluation, oldest first, with their age and agency, as GeoJSON.
func (s *Server) listEvaluations(c echo.Context) error {
	var q evaluationsQuery
	if err := parseQuery(c, &q, "evaluation queue"); err != nil {
		return err
	}
	f := q.filter
	ctx := c.Request().Context()
	rs, err := s.db.PendingReports(ctx, f)
	if err != nil {
		return err
	}
	names, err := s.agencyNames(c)
	if err != nil {
		return err
	}
	contacts, err := s.contactsOf(c, rs)
	if err != nil {
		return err
	}
	now := time.Now()
	fc := geojson.NewFeatureCollection()
	ids := make([]string, len(rs))
	for i, r := range rs {
		ft := reportFeature(principal(c), r)
		ft.Properties["agency"] = names[r.AgencyID]
		// A concern from the public: its words and, if given, how to
		// reach the person, for the evaluator alone.
		if r.AgencyID == store.PublicAgencyID {
			ft.Properties["public"] = true
			if contact, ok := contacts[r.ID]; ok {
				ft.Properties["contact"] = contact
			}
		}
		ft.Properties["age_hours"] = float64(now.Sub(r.CreatedAt).Round(time.Minute)) / float64(time.Hour)
		fc.Append(ft)
		ids[i] = r.ID.String()
	}
	ev := s.event(c, store.ActionConsult)
	ev.ObjectType, ev.Detail = "report", map[string]any{"queue": true, "count": len(rs), "ids": ids}
	if err := s.db.Audit(ctx, ev); err != nil {
		return err
	}
	// The queue says how long it is, not only how long its page is.
	total, err := s.db.CountPending(ctx, f)
	if err != nil {
		return err
	}
	fc.ExtraMembers = geojson.Properties{"number_matched": total}
	if len(rs) == f.Limit {
		last := rs[len(rs)-1]
		fc.ExtraMembers["next_cursor"] = timeIDCursorOf(last.CreatedAt, last.ID)
	}
	return s.writeGeoJSON(c, http.StatusOK, fc)
}

// agencyNames maps agency ids to names.
func (s *Server) agencyNames(c echo.Context) (map[uuid.UUID]string, error) {
	as, err := s.db.Agencies(c.Request().Context())
	if err != nil {
		return nil, err
	}
	names := make(map[uuid.UUID]string, len(as))
	for _, a := range as {
		names[a.ID] = a.Name
	}
	return names, nil
}

// evaluationRequest is an evaluator's decision about a report.
type evaluationRequest struct {
	Source      int     `json:"source"`
	Assessment  string  `json:"assessment"`
	Handling    string  `json:"handling"`
	Conditions  string  `json:"conditions"`
	Outcome     string  `json:"outcome"`
	Reference   string  `json:"reference"`
	DuplicateOf string  `json:"duplicate_of"`
	Narrative   *string `json:"narrative"`
}

// maxReference bounds a safeguarding referral's or crime report's number.
const maxReference = 100

// evaluateReport grades a report waiting for evaluation (or evaluated
// before: a new version) and decides its outcome.
func (s *Server) evaluateReport(c echo.Context) error {
	id, req, err := idAndBody[evaluationRequest](c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := s.db.Report(ctx, id)
	if err != nil {
		return err
	}
	g := intel.Grading{Source: req.Source, Assessment: req.Assessment, Handling: req.Handling, Conditions: strings.TrimSpace(req.Conditions)}
	errs := g.Validate()
	for i := range errs {
		errs[i].Field = strings.TrimPrefix(errs[i].Field, "grading.")
	}
	e := store.Evaluate{Grading: g, Outcome: req.Outcome, Reference: strings.TrimSpace(req.Reference), Actor: principal(c).Name}
	switch req.Outcome {
	case intel.OutcomeIntelligence, intel.OutcomeNFA:
	case intel.OutcomeSafeguarding, intel.OutcomeCrimeReport:
		if e.Reference == "" || utf8.RuneCountInString(e.Reference) > maxReference {
			errs.AddCode("reference", textCode(e.Reference, maxReference), fmt.Sprintf("required with %s: the referral's or crime report's number, at most %d characters", req.Outcome, maxReference))
		}
	case intel.OutcomeDuplicate:
		dup, err := uuid.Parse(req.DuplicateOf)
		if err != nil || dup == id {
			errs.AddCode("duplicate_of", intel.CodeRequired, "required with duplicate_of: the id of the counted report this one repeats")
			break
		}
		other, err := s.db.Report(ctx, dup)
		switch {
		case errors.Is(err, store.ErrNotFound):
			errs.Add("duplicate_of", "no such report")
		case err != nil:
			return err
		case other.Status != intel.StatusLive:
			errs.Add("duplicate_of", "that report does not count ("+other.Status+"): a duplicate repeats a counted report")
		default:
			e.DuplicateOf = &dup
		}
	default:
		code := intel.CodeNotAllowed
		if req.Outcome == "" {
			code = intel.CodeRequired
		}
		errs.AddCode("outcome", code, "must be one of "+strings.Join(intel.Outcomes, ", "))
	}
	if req.Narrative != nil {
		n := strings.TrimSpace(*req.Narrative)
		if utf8.RuneCountInString(n) > intel.MaxNarrative {
			errs.Add("narrative", fmt.Sprintf("at most %d characters", intel.MaxNarrative))
		}
		e.Narrative = &n
	}
	if errs != nil {
		return badRequest("the evaluation is not valid", errs...)
	}
	if r.Status == intel.StatusWithdrawn {
		return newProblem(http.StatusConflict, "the report was withdrawn by its agency: there is nothing to evaluate")
	}
	version, err := s.db.EvaluateReport(ctx, id, e, s.event(c, store.ActionAlter))
	if err != nil {
		return err
	}
	r, err = s.db.Report(ctx, id)
	if err != nil {
		return err
	}
	ft := reportFeature(principal(c), r)
	ft.Properties["evaluation_version"] = version
	return s.writeGeoJSON(c, http.StatusOK, ft)
}

// feedbackHeader names the columns of the feedback as CSV.
var feedbackHeader = []string{"month", "agency", "submitted", "pending", "evaluated", "withdrawn", "self_graded",
	intel.OutcomeIntelligence, intel.OutcomeSafeguarding, intel.OutcomeCrimeReport, intel.OutcomeNFA, intel.OutcomeDuplicate,
	"median_hours_to_evaluation"}

// getFeedback tells agencies what became of their submissions in a month
// (Europe/London): a partner its own agency's; chairs, admins and
// evaluators every agency's, or one (agency=id). JSON, or CSV (format=csv).
func (s *Server) getFeedback(c echo.Context) error {
	q := c.QueryParams()
	var errs []intel.FieldError
	now := time.Now().In(hotspot.London)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, hotspot.London)
	if v := q.Get("month"); v != "" {
		t, err := time.ParseInLocation("2006-01", v, hotspot.London)
		if err != nil {
			errs = append(errs, intel.FieldError{Field: "month", Message: "must be a month, YYYY-MM, e.g. " + now.Format("2006-01")})
		}
		month = t
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		errs = append(errs, intel.FieldError{Field: "format", Message: "must be json (the default) or csv"})
	}
	p := principal(c)
	var agency *uuid.UUID
	if v := q.Get("agency"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			errs = append(errs, intel.FieldError{Field: "agency", Message: "must be an agency id"})
		}
		agency = &id
	}
	if !p.Can(auth.AllFeedback) {
		if agency != nil && *agency != p.AgencyID {
			return store.ErrNotFound
		}
		agency = &p.AgencyID
	}
	// Other agencies' figures of a month still running would count their
	// submissions as they come: a caller who may not read every report
	// sees them once the month is over.
	// and they see each report as it stood when the month ended: later
	// evaluations and withdrawals would count as they come too.
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, hotspot.London)
	var asOf *time.Time
	if !p.Can(auth.ReadAllReports) && (agency == nil || *agency != p.AgencyID) {
		if !month.Before(thisMonth) {
			if q.Get("month") != "" {
				errs = append(errs, intel.FieldError{Field: "month", Message: "other agencies' feedback is shown for completed months only, up to " +
					thisMonth.AddDate(0, -1, 0).Format("2006-01")})
			}
			month = thisMonth.AddDate(0, -1, 0)
		}
		end := month.AddDate(0, 1, 0)
		asOf = &end
	}
	if errs != nil {
		return badRequest("the query is not valid", errs...)
	}
	rows, err := s.db.Feedback(c.Request().Context(), month, month.AddDate(0, 1, 0), agency, asOf)
	if err != nil {
		return err
	}
	label := month.Format("2006-01")
	if format == "csv" {
		out := make([][]string, len(rows))
		for i, r := range rows {
			median := ""
			if r.MedianHoursToEvaluation != nil {
				median = strconv.FormatFloat(*r.MedianHoursToEvaluation, 'f', 1, 64)
			}
			out[i] = []string{label, r.Agency, strconv.Itoa(r.Submitted), strconv.Itoa(r.Pending), strconv.Itoa(r.Evaluated),
				strconv.Itoa(r.Withdrawn), strconv.Itoa(r.SelfGraded), strconv.Itoa(r.Outcomes[intel.OutcomeIntelligence]),
				strconv.Itoa(r.Outcomes[intel.OutcomeSafeguarding]), strconv.Itoa(r.Outcomes[intel.OutcomeCrimeReport]),
				strconv.Itoa(r.Outcomes[intel.OutcomeNFA]), strconv.Itoa(r.Outcomes[intel.OutcomeDuplicate]), median}
		}
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="hexwatch-feedback-`+label+`.csv"`)
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", snapshot.ExcelCSV(feedbackHeader, out))
	}
	if rows == nil {
		rows = []store.FeedbackRow{}
	}
	return c.JSON(http.StatusOK, map[string]any{"month": label, "agencies": rows})
}
