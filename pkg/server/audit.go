package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/labstack/echo/v4"
)

func (s *Server) listAudit(c echo.Context) error {
	q := c.QueryParams()
	f := store.AuditFilter{
		Action: q.Get("action"), Actor: q.Get("actor"), ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"),
	}
	var errs []FieldError
	if v := q.Get("agency_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			errs = append(errs, FieldError{Field: "agency_id", Message: "must be a UUID"})
		}
		f.AgencyID = &id
	}
	errs = append(errs, timeParams(q, map[string]*time.Time{"from": &f.From, "to": &f.To})...)
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			errs = append(errs, FieldError{Field: "cursor", Message: "must be a next_cursor of an earlier page"})
		}
		f.Before = n
	}
	var fe *FieldError
	if f.Limit, fe = pageLimit(q.Get("limit")); fe != nil {
		errs = append(errs, *fe)
	}
	if errs != nil {
		return badRequest("the audit query is not valid", errs...)
	}
	evs, err := s.db.AuditEvents(c.Request().Context(), f)
	if err != nil {
		return err
	}
	l := newList(evs)
	if len(evs) == f.Limit {
		l.NextCursor = strconv.FormatInt(evs[len(evs)-1].ID, 10)
	}
	return c.JSON(http.StatusOK, l)
}

// disclosureReport is what GET /api/v1/disclosure tells an administrator:
// the callers near their budget today, and reports created and withdrawn
// within a day (own reports placed to probe cells, then removed).
type disclosureReport struct {
	Day             string                  `json:"day"`
	Budget          int                     `json:"budget"`
	NearBudget      []store.BudgetUse       `json:"near_budget"`
	QuickWithdrawal []store.QuickWithdrawal `json:"quick_withdrawals"`
}

func (s *Server) getDisclosureReport(c echo.Context) error {
	ctx := c.Request().Context()
	day := hotspot.DayStart(time.Now())
	uses, err := s.db.BudgetUses(ctx, day, (s.cfg.PublishedBudget*8+9)/10)
	if err != nil {
		return err
	}
	quick, err := s.db.QuickWithdrawals(ctx, time.Now().Add(-30*24*time.Hour), 24*time.Hour)
	if err != nil {
		return err
	}
	out := disclosureReport{Day: day.Format(time.DateOnly), Budget: s.cfg.PublishedBudget, NearBudget: uses, QuickWithdrawal: quick}
	if out.NearBudget == nil {
		out.NearBudget = []store.BudgetUse{}
	}
	if out.QuickWithdrawal == nil {
		out.QuickWithdrawal = []store.QuickWithdrawal{}
	}
	return c.JSON(http.StatusOK, out)
}
