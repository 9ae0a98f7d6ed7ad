package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/snapshot"
	"github.com/hexwatch/hexwatch/pkg/store"
)

const mimeGeoJSON = "application/geo+json"

// createReport stores one report. A resubmission of the same content under
// the same external_ref is a safe retry (200, the stored report); other
// content under it is a conflict (409).
func (s *Server) createReport(c echo.Context) error {
	b, err := readJSON(c, "the report")
	if err != nil {
		return err
	}
	sub, errs := intel.DecodeSubmission(b)
	if errs != nil {
		return invalid(errs)
	}
	r, verr := s.validator.Validate(sub)
	if verr != nil {
		return invalid(verr)
	}
	p := principal(c)
	r.ID, r.AgencyID = uuid.Must(uuid.NewV7()), p.AgencyID
	// Reports of an agency that does not grade its own wait for evaluation.
	agency, err := s.db.AgencyByID(c.Request().Context(), p.AgencyID)
	if err != nil {
		return err
	}
	r.Intake(agency.SelfGrading)
	outcomes, err := s.db.InsertReports(c.Request().Context(), []intel.Report{r}, s.event(c, store.ActionCollect))
	if err != nil {
		return err
	}
	o := outcomes[0]
	if o.Status == store.Conflict {
		return newProblem(http.StatusConflict, "your agency already sent a report with this external_ref and other content; amend it with PATCH "+reportPath(o.ID),
			intel.FieldError{Field: "external_ref", Message: "already used, by report " + o.ID.String()})
	}
	stored, err := s.db.Report(c.Request().Context(), o.ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, reportPath(o.ID))
	status := http.StatusCreated
	if o.Status == store.Duplicate {
		status = http.StatusOK
	}
	return s.writeGeoJSON(c, status, reportFeature(principal(c), stored))
}

func reportPath(id uuid.UUID) string { return "/api/v1/reports/" + id.String() }

// reportView is whether the caller may see a report at all, and its
// narrative. A report waiting for evaluation is its own agency's and the
// evaluators' only.
func reportView(p *auth.Principal, r intel.Report) (visible, narrative bool) {
	if r.Status == intel.StatusPending && r.AgencyID != p.AgencyID && !p.Can(auth.EvaluateReports) {
		return false, false
	}
	if p.Can(auth.ReadAllReports) {
		return true, true
	}
	own := p.Can(auth.ReadOwnReports) && r.AgencyID == p.AgencyID
	return own, own
}

// gradingOf is a report's grading as the caller may see it: none while it
// waits for evaluation, and none of an evaluator's for the submitting
// partner (it hears the outcome).
func gradingOf(p *auth.Principal, r intel.Report) *intel.Grading {
	if r.Status == intel.StatusPending || (r.Evaluation != nil && !p.Can(auth.ReadAllReports)) {
		return nil
	}
	return &r.Grading
}

// reportFeature is a report as a GeoJSON Feature, with the narrative only
// for those who may read it.
func reportFeature(p *auth.Principal, r intel.Report) *geojson.Feature {
	_, narrative := reportView(p, r)
	f := geojson.NewFeature(orb.Point{r.Location.Lon, r.Location.Lat})
	f.ID = r.ID.String()
	props := geojson.Properties{
		"agency_id": r.AgencyID.String(), "reference": intel.Reference(r.ID), "external_ref": r.ExternalRef, "category": r.Category,
		"indicators": nonNil(r.Indicators), "observed_at": r.ObservedAt.Format(time.RFC3339),
		"precision_m": r.PrecisionM, "grading": gradingOf(p, r), "classification": r.Classification,
		"status": r.Status, "review_at": r.ReviewAt.Format(time.RFC3339),
		"cell": r.Cell.String(), "created_at": r.CreatedAt.UTC().Format(time.RFC3339Nano),
		"updated_at": r.UpdatedAt.UTC().Format(time.RFC3339Nano),
	}
	// seq counts every agency's writes: only readers of every report see it.
	if p.Can(auth.ReadAllReports) {
		props["seq"] = r.Seq
	}
	evaluator := p.Can(auth.EvaluateReports)
	own := r.AgencyID == p.AgencyID
	if narrative {
		props["narrative"] = r.Narrative
		// The submitting agency reads what it wrote, not the evaluator's sanitised text.
		if own && !p.Can(auth.ReadAllReports) && r.OriginalNarrative != "" {
			props["narrative"] = r.OriginalNarrative
		}
	}
	if evaluator && r.OriginalNarrative != "" {
		props["original_narrative"] = r.OriginalNarrative
	}
	if r.SuggestedGrading != nil && (own || evaluator) {
		props["suggested_grading"] = r.SuggestedGrading
	}
	if e := r.Evaluation; e != nil {
		ej := map[string]any{"outcome": e.Outcome, "evaluated_at": e.At.Format(time.RFC3339)}
		if p.Can(auth.ReadAllReports) {
			if e.Reference != "" {
				ej["reference"] = e.Reference
			}
			if e.DuplicateOf != nil {
				ej["duplicate_of"] = e.DuplicateOf.String()
			}
		}
		props["evaluation"] = ej
	}
	if p.Can(auth.ReadAllReports) {
		props["corroborated"] = r.Corroborated
	}
	f.Properties = props
	return f
}

// visibleReport loads a report the caller may read; any other is not found,
// so that its existence is not disclosed.
func (s *Server) visibleReport(c echo.Context) (intel.Report, error) {
	id, err := pathUUID(c, "id")
	if err != nil {
		return intel.Report{}, err
	}
	r, err := s.db.Report(c.Request().Context(), id)
	if err != nil {
		return r, err
	}
	if ok, _ := reportView(principal(c), r); !ok {
		return r, store.ErrNotFound
	}
	return r, nil
}

func (s *Server) getReport(c echo.Context) error {
	r, err := s.visibleReport(c)
	if err != nil {
		return err
	}
	ev := s.event(c, store.ActionConsult)
	ev.ObjectType, ev.ObjectID = "report", r.ID.String()
	if err := s.db.Audit(c.Request().Context(), ev); err != nil {
		return err
	}
	ft := reportFeature(principal(c), r)
	// An evaluator reads how to reach the person behind a public concern
	// for as long as the report is kept.
	if r.AgencyID == store.PublicAgencyID && principal(c).Can(auth.EvaluateReports) {
		contacts, err := s.contactsOf(c, []intel.Report{r})
		if err != nil {
			return err
		}
		ft.Properties["public"] = true
		if contact, ok := contacts[r.ID]; ok {
			ft.Properties["contact"] = contact
		}
	}
	return s.writeGeoJSON(c, http.StatusOK, ft)
}

// reportsQuery is the query of GET /api/v1/reports.
type reportsQuery struct {
	filter store.ReportFilter
	// csv asks for the list as a CSV export, a disclosure with purpose.
	csv     bool
	purpose string
	// all is a CSV export of every report matched (no limit asked for).
	all bool
}

func (q *reportsQuery) parse(v url.Values) intel.FieldErrors {
	r := queryReader{v: v}
	f := &q.filter
	f.Status = r.oneOf("status", "must be one of "+strings.Join(intel.Statuses, ", "), intel.Statuses...)
	f.BBox = r.bbox("bbox")
	f.From, f.To = r.time("from"), r.time("to")
	f.Categories = r.categories("category")
	f.AgencyIDs = r.agencies("agency")
	if s := r.get("cell"); s != "" {
		cell, err := hexgrid.Parse(s)
		if err != nil || cell.Resolution() > hexgrid.StoreRes {
			r.errs.Add("cell", fmt.Sprintf("must be an H3 cell of resolution %d or coarser", hexgrid.StoreRes))
		}
		f.Cell = cell
	}
	f.After = r.idCursor()
	switch r.oneOf("sort", "must be observed_at (oldest first), -observed_at (newest first) or -created_at (latest submitted first)",
		"observed_at", "-observed_at", "-created_at") {
	case "-observed_at":
		f.Order = store.NewestFirst
	case "observed_at":
		f.Order = store.OldestFirst
	case "-created_at":
		f.Order = store.LatestSubmittedFirst
	}
	bad := len(r.errs)
	f.Offset = r.int("offset", 0, maxOffset)
	if r.get("offset") != "" && len(r.errs) == bad && f.Order == store.ByID {
		r.errs.Add("offset", "pages a sorted list; a list in id order pages by cursor")
	}
	if f.Order != store.ByID && f.After != uuid.Nil {
		r.errs.Add("cursor", "pages a list in id order; a sorted list pages by offset")
	}
	q.csv = r.oneOf("format", "must be geojson (the default) or csv", "csv", "geojson") == "csv"
	q.purpose = strings.TrimSpace(r.get("purpose"))
	if q.csv && (q.purpose == "" || utf8.RuneCountInString(q.purpose) > 200) {
		r.errs.Add("purpose", "required for a CSV export, which is a disclosure: its purpose, at most 200 characters")
	}
	f.Limit = r.limit()
	if q.csv && r.get("limit") == "" {
		// An export without a limit is of every report matched.
		q.all, f.Limit = true, maxExport+1
	}
	return r.errs
}

func (s *Server) listReports(c echo.Context) error {
	var q reportsQuery
	if err := parseQuery(c, &q, "reports"); err != nil {
		return err
	}
	f := q.filter
	p := principal(c)
	if !p.Can(auth.ReadAllReports) {
		// A partner reads its own agency's reports, whatever it asks for.
		f.AgencyIDs = []uuid.UUID{p.AgencyID}
	}
	if !p.Can(auth.EvaluateReports) {
		f.PendingOf = &p.AgencyID
	}
	rs, err := s.db.Reports(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if q.all && len(rs) > maxExport {
		n, err := s.db.CountReports(c.Request().Context(), f)
		if err != nil {
			return err
		}
		return badRequest("", FieldError{Field: "format", Message: fmt.Sprintf(
			"a CSV export holds at most %d reports and this one would hold %d: narrow it by from, to, category or bbox", maxExport, n)})
	}
	if q.csv {
		return s.reportsCSV(c, rs, q.purpose)
	}
	fc := geojson.NewFeatureCollection()
	ids := make([]string, len(rs))
	for i, r := range rs {
		fc.Append(reportFeature(principal(c), r))
		ids[i] = r.ID.String()
	}
	ev := s.event(c, store.ActionConsult)
	ev.ObjectType, ev.Detail = "report", map[string]any{"count": len(rs), "ids": ids}
	if err := s.db.Audit(c.Request().Context(), ev); err != nil {
		return err
	}
	// A sorted list says how long it is; one in id order where it goes on.
	fc.ExtraMembers = geojson.Properties{}
	if f.Order != store.ByID {
		n, err := s.db.CountReports(c.Request().Context(), f)
		if err != nil {
			return err
		}
		fc.ExtraMembers["number_matched"] = n
	} else if len(rs) == f.Limit {
		fc.ExtraMembers["next_cursor"] = rs[len(rs)-1].ID.String()
	}
	return s.writeGeoJSON(c, http.StatusOK, fc)
}

// maxOffset bounds the pages of a sorted list of reports.
const maxOffset = 100_000

// maxExport is the most reports one CSV export holds.
const maxExport = 50_000

// reportsCSVHeader names the columns of a list of reports as CSV: codes
// beside their labels, times in Europe/London.
var reportsCSVHeader = []string{"id", "external_ref", "agency", "observed_at_london", "category", "category_label",
	"indicators", "source", "assessment", "handling", "grading_meaning", "classification", "lat", "lon", "precision_m",
	"status", "narrative"}

func categoryLabel(code string) string {
	c, _ := intel.CategoryByCode(code)
	return c.Label
}

// gradingMeaning is a grading in words: "2B: untested source; known
// indirectly, corroborated".
func gradingMeaning(g intel.Grading) string {
	src := intel.Labels(intel.Sources)[strconv.Itoa(g.Source)]
	as := intel.Labels(intel.Assessments)[g.Assessment]
	return fmt.Sprintf("%d%s%s: %s source; %s", g.Source, g.Assessment, g.Handling, src, as)
}

// reportsCSV discloses a list of reports as CSV, audited as a disclosure
// with its purpose and the reports' ids, then streamed row by row.
func (s *Server) reportsCSV(c echo.Context, rs []intel.Report, purpose string) error {
	ctx := c.Request().Context()
	agencies, err := s.db.Agencies(ctx)
	if err != nil {
		return err
	}
	names := map[uuid.UUID]string{}
	for _, a := range agencies {
		names[a.ID] = a.Name
	}
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID.String()
	}
	ev := s.event(c, store.ActionDisclose)
	ev.ObjectType, ev.Justification, ev.Recipient = "report", purpose, c.QueryParam("recipient")
	ev.Detail = map[string]any{"export": "reports.csv", "count": len(rs), "ids": ids}
	if err := s.db.Audit(ctx, ev); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, `attachment; filename="hexwatch-reports.csv"`)
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().WriteHeader(http.StatusOK)
	w := snapshot.NewExcelWriter(c.Response(), reportsCSVHeader)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, r := range rs {
		_, narrative := reportView(principal(c), r)
		g := r.Grading
		row := []string{r.ID.String(), r.ExternalRef, names[r.AgencyID], r.ObservedAt.In(hotspot.London).Format("2006-01-02 15:04"),
			r.Category, categoryLabel(r.Category), strings.Join(r.Indicators, "; "), strconv.Itoa(g.Source), g.Assessment, g.Handling,
			gradingMeaning(g), r.Classification, f(r.Location.Lat), f(r.Location.Lon), f(r.PrecisionM), r.Status, ""}
		if narrative {
			row[len(row)-1] = r.Narrative
		}
		w.Write(row)
	}
	// The answer has begun: a failure now can only be logged (the client
	// sees a file cut short, which its length and the audit's count show).
	if err := w.Flush(); err != nil {
		s.log.Warn("CSV export cut short", "request_id", RequestID(c), "err", err)
	}
	return nil
}

// mayChange reports whether the caller may amend or withdraw r: its own
// agency's, or any for an analyst.
func mayChange(p *auth.Principal, r intel.Report) bool {
	return r.AgencyID == p.AgencyID
}

// changeable reads the report of the path for a change: only its own
// agency may amend or withdraw it. Another agency's reader (an analyst) is
// refused and the refusal audited; anyone else is told it does not exist.
func (s *Server) changeable(c echo.Context) (intel.Report, error) {
	r, err := s.visibleReport(c)
	if err != nil || mayChange(principal(c), r) {
		return r, err
	}
	ev := s.event(c, store.ActionAccessDenied)
	ev.ObjectType, ev.ObjectID = "report", r.ID.String()
	ev.Detail = map[string]any{"route": c.Request().Method + " " + c.Path()}
	if err := s.db.Audit(c.Request().Context(), ev); err != nil {
		return r, err
	}
	return r, newProblem(http.StatusForbidden, "only the agency that submitted a report may amend or withdraw it")
}

// amendReport applies a JSON merge patch of the report's fields, validates
// the result as a whole, and keeps the previous version in the audit log.
func (s *Server) amendReport(c echo.Context) error {
	r, err := s.changeable(c)
	if err != nil {
		return err
	}
	b, err := readJSON(c, "the report")
	if err != nil {
		return err
	}
	var patch map[string]json.RawMessage
	if err := json.Unmarshal(b, &patch); err != nil {
		return invalid([]intel.FieldError{intel.ExplainJSON(err)})
	}
	before, err := submissionOf(r)
	if err != nil {
		return err
	}
	var merged map[string]json.RawMessage
	if err := roundTrip(before, &merged); err != nil {
		return err
	}
	for k, v := range patch {
		if k == "external_ref" && string(v) != string(merged[k]) {
			return invalid([]intel.FieldError{{Field: "external_ref", Message: "cannot be changed: it is your system's id for this report"}})
		}
		merged[k] = v
	}
	mb, err := json.Marshal(merged)
	if err != nil {
		return err
	}
	sub, errs := intel.DecodeSubmission(mb)
	if errs != nil {
		return invalid(errs)
	}
	next, verr := s.validator.Validate(sub)
	if verr != nil {
		return invalid(verr)
	}
	next.ID, next.AgencyID = r.ID, r.AgencyID
	// A report of an agency that does not grade its own, or one that was
	// waiting or evaluated, waits for an evaluator again: its suggestion
	// stays its agency's own (the evaluator's grading is not handed back).
	agency, err := s.db.AgencyByID(c.Request().Context(), r.AgencyID)
	if err != nil {
		return err
	}
	if !agency.SelfGrading || r.Status == intel.StatusPending || r.Evaluation != nil {
		next.Status, next.Grading, next.SuggestedGrading = intel.StatusPending, intel.Unevaluated, r.SuggestedGrading
		if g, ok := patch["grading"]; ok && string(g) != "null" && sub.Grading != nil {
			suggested := *sub.Grading
			next.SuggestedGrading = &suggested
		}
	}
	after, err := submissionOf(next)
	if err != nil {
		return err
	}
	content, err := json.Marshal(before)
	if err != nil {
		return err
	}
	fields, err := changedFields(before, after)
	if err != nil {
		return err
	}
	ev := s.event(c, store.ActionAlter)
	ev.Detail = map[string]any{"fields": fields, "previous_seq": r.Seq}
	out, err := s.db.AmendReport(c.Request().Context(), next, store.Version{Seq: r.Seq, Status: r.Status, Content: content}, ev)
	if err != nil {
		return err
	}
	return s.writeGeoJSON(c, http.StatusOK, reportFeature(principal(c), out))
}

// submissionOf is a stored report in the form it was submitted.
func submissionOf(r intel.Report) (intel.Submission, error) {
	loc, err := json.Marshal(r.Location)
	if err != nil {
		return intel.Submission{}, err
	}
	prec := r.PrecisionM
	g := r.Grading
	return intel.Submission{
		ExternalRef: r.ExternalRef, Category: r.Category, Indicators: r.Indicators,
		ObservedAt: r.ObservedAt.Format(time.RFC3339Nano), Location: loc, PrecisionM: &prec, Grading: &g,
		Classification: r.Classification, Narrative: r.Narrative,
	}, nil
}

// roundTrip decodes v's JSON into dst.
func roundTrip(v, dst any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, dst)
}

// changedFields names the fields of a submission that differ between two
// versions: what the audit log says of an amendment (never the values).
func changedFields(before, after intel.Submission) ([]string, error) {
	var a, b map[string]json.RawMessage
	if err := errors.Join(roundTrip(before, &a), roundTrip(after, &b)); err != nil {
		return nil, err
	}
	fields := []string{}
	for k := range b {
		if string(a[k]) != string(b[k]) {
			fields = append(fields, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			fields = append(fields, k)
		}
	}
	slices.Sort(fields)
	return fields, nil
}

func (s *Server) withdrawReport(c echo.Context) error {
	r, err := s.changeable(c)
	if err != nil {
		return err
	}
	out, err := s.db.WithdrawReport(c.Request().Context(), r.ID, s.event(c, store.ActionAlter))
	if err != nil {
		return err
	}
	return s.writeGeoJSON(c, http.StatusOK, reportFeature(principal(c), out))
}

type eraseRequest struct {
	Reason string `json:"reason"`
}

// eraseReport deletes a report for good (admin); the erasure is audited
// with its reason and no content.
func (s *Server) eraseReport(c echo.Context) error {
	id, req, err := idAndBody[eraseRequest](c)
	if err != nil {
		return err
	}
	if req.Reason = strings.TrimSpace(req.Reason); req.Reason == "" || len(req.Reason) > 500 {
		return badRequest("", intel.FieldError{Field: "reason", Message: "required: why the report is erased (at most 500 characters, no report content)"})
	}
	ev := s.event(c, store.ActionErase)
	ev.Justification = req.Reason
	if err := s.db.EraseReport(c.Request().Context(), id, ev); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
