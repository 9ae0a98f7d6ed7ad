package server

import (
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// dueReport is a report due for review, without its narrative.
type dueReport struct {
	ID          uuid.UUID `json:"id"`
	AgencyID    uuid.UUID `json:"agency_id"`
	ExternalRef string    `json:"external_ref"`
	Category    string    `json:"category"`
	ObservedAt  time.Time `json:"observed_at"`
	ReviewAt    time.Time `json:"review_at"`
	Status      string    `json:"status"`
}

// listReview lists the reports due for review before due_before (default now).
// reviewQuery is the query of GET /api/v1/review: reports due for review
// before due_before (default now).
type reviewQuery struct{ filter store.ReportFilter }

func (q *reviewQuery) parse(v url.Values) intel.FieldErrors {
	r := queryReader{v: v}
	q.filter = store.ReportFilter{ReviewBefore: r.time("due_before"), After: r.idCursor(), Limit: r.limit()}
	return r.errs
}

func (s *Server) listReview(c echo.Context) error {
	var q reviewQuery
	if err := parseQuery(c, &q, "review"); err != nil {
		return err
	}
	f := q.filter
	if f.ReviewBefore.IsZero() {
		f.ReviewBefore = time.Now()
	}
	rs, err := s.db.Reports(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := list[dueReport]{Items: make([]dueReport, len(rs))}
	for i, r := range rs {
		out.Items[i] = dueReport{r.ID, r.AgencyID, r.ExternalRef, r.Category, r.ObservedAt, r.ReviewAt, r.Status}
	}
	if len(rs) == f.Limit {
		out.NextCursor = rs[len(rs)-1].ID.String()
	}
	return c.JSON(http.StatusOK, out)
}

type retainRequest struct {
	Reason   string `json:"reason"`
	ReviewAt string `json:"review_at"`
}

// retainReport records a decision to keep a report until a new review date.
func (s *Server) retainReport(c echo.Context) error {
	id, req, err := idAndBody[retainRequest](c)
	if err != nil {
		return err
	}
	var errs []FieldError
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason == "" || utf8.RuneCountInString(req.Reason) > 500 {
		errs = append(errs, FieldError{Field: "reason", Message: "required: why the report is kept, at most 500 characters"})
	}
	reviewAt, fe := parseTime("review_at", req.ReviewAt)
	switch {
	case fe != nil:
		errs = append(errs, FieldError{Field: "review_at", Message: "required: the next review date, e.g. 2027-12-01"})
	case !reviewAt.After(time.Now()):
		errs = append(errs, FieldError{Field: "review_at", Message: "must be in the future"})
	case reviewAt.After(time.Now().Add(s.cfg.Retention)):
		errs = append(errs, FieldError{Field: "review_at", Message: "may not be further away than the retention period"})
	}
	if errs != nil {
		return badRequest("the retention decision is not valid", errs...)
	}
	r, err := s.db.RetainReport(c.Request().Context(), id, req.Reason, reviewAt, s.event(c, store.ActionAlter))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, dueReport{r.ID, r.AgencyID, r.ExternalRef, r.Category, r.ObservedAt, r.ReviewAt, r.Status})
}
