package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/snapshot"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// locationsPage is the locations and actions of a snapshot's meeting pack
// as they stand now, each open location evaluated from the week of its
// first action, in the view of the snapshot (published figures for a
// published one); since is the previous snapshot (zero: none).
func (s *Server) locationsPage(c echo.Context, sn store.Snapshot, since store.Snapshot) (snapshot.LocationsPage, error) {
	ctx := c.Request().Context()
	now := time.Now()
	page := snapshot.LocationsPage{AsAt: now}
	if since.ID != sn.ID && !since.CreatedAt.IsZero() {
		page.Since = fmt.Sprintf("%s, frozen %s", since.Title, since.CreatedAt.In(hotspot.London).Format("2006-01-02 15:04"))
	}
	ls, err := s.db.Locations(ctx, uuid.Nil)
	if err != nil {
		return page, err
	}
	as, err := s.db.Actions(ctx, store.ActionFilter{})
	if err != nil {
		return page, err
	}
	first := map[string]time.Time{}
	for _, a := range as {
		t, _ := intel.TacticByCode(a.Tactic)
		out := actionOut(a, now)
		brief := snapshot.ActionBrief{Location: a.Location, Tactic: t.Label, Owner: a.OwnerAgency, Start: out.StartDate, Due: out.DueDate,
			Status: a.Status, Note: a.Note, Overdue: out.Overdue}
		if out.DoneAt != nil {
			brief.DoneAt = *out.DoneAt
			brief.DoneSinceLast = page.Since != "" && a.DoneAt.After(since.CreatedAt)
		}
		page.Actions = append(page.Actions, brief)
		if a.Status != "cancelled" {
			if f, ok := first[a.Location]; !ok || a.StartDate.Before(f) {
				first[a.Location] = a.StartDate
			}
		}
	}
	for _, l := range ls {
		b := snapshot.LocationBrief{Name: l.Name, MeetingRef: l.MeetingRef, Owner: l.OwnerAgency, Status: l.Status, ClosedReason: l.ClosedReason,
			Cells: len(l.Area.Cells), Res: l.Area.Res}
		if l.ReviewDate != nil {
			b.Review = l.ReviewDate.Format(time.DateOnly)
		}
		if l.Status == "open" {
			if b.Evaluation, err = s.evaluationWords(c, l, first, sn.Published); err != nil {
				return page, err
			}
		}
		page.Locations = append(page.Locations, b)
	}
	return page, nil
}

// evaluationWords is the evaluation of l from the week of its first
// action, over defaultEvalWeeks weeks, in words for the meeting pack.
func (s *Server) evaluationWords(c echo.Context, l store.Location, first map[string]time.Time, published bool) (string, error) {
	start, ok := first[l.Name]
	if !ok {
		return "No action yet: nothing to evaluate.", nil
	}
	at := hotspot.WeekStart(time.Date(start.Year(), start.Month(), start.Day(), 12, 0, 0, 0, hotspot.London))
	if !at.Before(hotspot.WeekStart(time.Now())) {
		return fmt.Sprintf("The first action starts in the week of %s: too soon to evaluate.", at.Format(time.DateOnly)), nil
	}
	ev, err := s.evaluate(c, l, at, defaultEvalWeeks, published)
	var p *Problem
	if errors.As(err, &p) && p.Status < http.StatusInternalServerError {
		return p.Detail + ".", nil
	}
	if err != nil {
		return "", err
	}
	source := "exact figures"
	if ev.Release != nil {
		source = "the weekly release of " + *ev.Release
	}
	return fmt.Sprintf("From the week of %s (first action), %d weeks before and %d after, %s: %s", ev.At, ev.Weeks, ev.WeeksAfter, source, ev.Reading), nil
}
