package server

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/labstack/echo/v4"
)

// auditQuery is the query of GET /api/v1/audit.
type auditQuery struct{ filter store.AuditFilter }

func (q *auditQuery) parse(v url.Values) intel.FieldErrors {
	r := queryReader{v: v}
	q.filter = store.AuditFilter{Action: r.get("action"), Actor: r.get("actor"), ObjectType: r.get("object_type"), ObjectID: r.get("object_id"),
		AgencyID: r.uuid("agency_id"), From: r.time("from"), To: r.time("to"), Before: r.seqCursor(), Limit: r.limit()}
	return r.errs
}

func (s *Server) listAudit(c echo.Context) error {
	var q auditQuery
	if err := parseQuery(c, &q, "audit"); err != nil {
		return err
	}
	f := q.filter
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

// event starts an audit event for the request's caller.
func (s *Server) event(c echo.Context, action string) store.AuditEvent {
	ev := store.AuditEvent{Action: action, Actor: "anonymous", RequestID: RequestID(c), RemoteAddr: c.RealIP()}
	if p := principal(c); p != nil {
		ev.Actor = p.Name
		ev.AgencyID = &p.AgencyID
		if p.UserID != uuid.Nil {
			ev.ActorUserID = &p.UserID
		}
		if p.KeyID != uuid.Nil {
			ev.ActorKeyID = &p.KeyID
		}
	}
	return ev
}
