package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/release"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// release is the disclosure control of the caller's hotspot answers: nil
// for a caller who may read every raw report; otherwise the published
// view, read from a weekly release. One release serves every agency and
// every chair alike: a cell is shown only with K reports outside its
// largest agency, so no agency, its own reports subtracted, is left with
// fewer than K.
func (s *Server) release(p *auth.Principal) *hotspot.Release {
	if p.Can(auth.ReadAllReports) {
		return nil
	}
	return &hotspot.Release{K: s.cfg.MinCellReports}
}

// Publisher computes and reads the weekly releases.
func (s *Server) Publisher() *release.Publisher { return s.releases }

// releaseTable is the table of the release that answers published query p.
func (s *Server) releaseTable(c echo.Context, p hotspot.Params) (*release.Table, error) {
	category := ""
	if len(p.Categories) == 1 {
		category = p.Categories[0]
	}
	t, err := s.releases.Table(c.Request().Context(), p.AsOf, p.Res, p.AsOf.Sub(p.From).Round(24*time.Hour), category)
	if errors.Is(err, release.ErrNoRelease) {
		return nil, s.noRelease(c, p.AsOf)
	}
	return t, err
}

// noRelease is the problem of a week with no release stored.
func (s *Server) noRelease(c echo.Context, cutoff time.Time) error {
	rs, err := s.releases.Releases(c.Request().Context())
	if err != nil {
		return err
	}
	detail := "no release is published yet: the first is computed at the next cut-off (Monday 00:00, Europe/London), or at start for the weeks missed"
	if len(rs) > 0 {
		detail = fmt.Sprintf("no release of the week of %s: releases are published from %s to %s", cutoff.In(hotspot.London).Format(time.DateOnly),
			rs[0].Cutoff.In(hotspot.London).Format(time.DateOnly), rs[len(rs)-1].Cutoff.In(hotspot.London).Format(time.DateOnly))
	}
	return newProblem(http.StatusNotFound, detail)
}

// releaseJSON is a release as its readers see it.
type releaseJSON struct {
	// Release names it: the date of its cut-off (a Monday).
	Release    string `json:"release"`
	Cutoff     string `json:"cutoff"`
	ComputedAt string `json:"computed_at"`
	Late       bool   `json:"late"`
}

func releaseOut(r store.Release) releaseJSON {
	return releaseJSON{Release: r.Cutoff.In(hotspot.London).Format(time.DateOnly), Cutoff: r.Cutoff.Format(time.RFC3339),
		ComputedAt: r.ComputedAt.UTC().Format(time.RFC3339), Late: r.Late}
}

// listReleases lists the weekly releases and when the next is due.
func (s *Server) listReleases(c echo.Context) error {
	rs, err := s.releases.Releases(c.Request().Context())
	if err != nil {
		return err
	}
	out := struct {
		Items []releaseJSON `json:"items"`
		Next  string        `json:"next_cutoff"`
	}{Items: make([]releaseJSON, len(rs)), Next: nextCutoff(time.Now()).Format(time.RFC3339)}
	for i, r := range rs {
		out.Items[i] = releaseOut(r)
	}
	return c.JSON(http.StatusOK, out)
}

// nextCutoff is the cut-off of the next release after now.
func nextCutoff(now time.Time) time.Time {
	return release.Cutoff(release.Cutoff(now).In(hotspot.London).AddDate(0, 0, 7).Add(12 * time.Hour))
}

// Scopes of the query budget: a cell's explanation is scoped by the cell.
const (
	scopeMap       = "map"
	scopeSnapshots = "snapshots"
)

// spendQuery audits an aggregate request of a published-view caller with
// its parameters and counts it against the budget of the caller's agency
// (however many keys and users it has) of distinct parameter sets per
// scope per day: over budget, it records an access_denied event and
// answers 429. The parameter set is what the answer depends on: bbox is
// left out (it limits the cells returned, not what they say) and as_of
// counts as the start of its week (every day of a week gives the same
// answer).
//
// A reader of every report has no budget, but its aggregate queries are
// audited all the same: every consultation is.
//
// The refund it returns gives the parameter set back, for a request that
// is then not answered (the server was busy).
func (s *Server) spendQuery(c echo.Context, scope string, p hotspot.Params) (refund func(), err error) {
	return s.spend(c, scope, p, "")
}

// spend is spendQuery of a parameter set that p and what (the object
// asked of, e.g. a location) make together.
func (s *Server) spend(c echo.Context, scope string, p hotspot.Params, what string) (refund func(), err error) {
	pr := principal(c)
	params := paramsOf(p)
	refund = func() {}
	if pr.Can(auth.ReadAllReports) {
		ev := s.event(c, store.ActionConsult)
		ev.ObjectType, ev.ObjectID = "hotspots", scope
		ev.Detail = map[string]any{"route": c.Path(), "parameters": params}
		if what != "" {
			ev.Detail.(map[string]any)["of"] = what
		}
		return refund, s.consults.add(c.Request().Context(), ev)
	}
	params.BBox = nil
	canon := p
	canon.BBox, canon.AsOf, canon.From = nil, hotspot.WeekStart(p.AsOf), hotspot.WeekStart(p.From)
	key := canon.Key()
	if what != "" {
		key += "|of=" + what
	}
	sum := sha256.Sum256([]byte(key))
	ctx := c.Request().Context()
	caller, day := "agency:"+pr.AgencyID.String(), hotspot.DayStart(time.Now())
	ok, fresh := true, false
	if !s.spent.has(caller, day, scope, sum) {
		if ok, fresh, err = s.db.SpendQuery(ctx, caller, day, scope, sum[:], s.cfg.PublishedBudget); err != nil {
			return refund, err
		}
		if ok && !fresh {
			s.spent.add(caller, day, scope, sum)
		}
	}
	if fresh {
		refund = func() {
			if err := s.db.RefundQuery(context.WithoutCancel(ctx), caller, day, scope, sum[:]); err != nil {
				s.log.Warn("refund a published query", "request_id", RequestID(c), "err", err)
			}
		}
	}
	action := store.ActionConsult
	if !ok {
		action = store.ActionAccessDenied
	}
	ev := s.event(c, action)
	ev.ObjectType, ev.ObjectID = "published_view", scope
	detail := map[string]any{"route": c.Path(), "parameters": params}
	if what != "" {
		detail["of"] = what
	}
	ev.Detail = detail
	write := s.consults.add
	if !ok {
		write = s.db.Audit // a refusal is recorded before it is answered
	}
	if err := write(ctx, ev); err != nil {
		return refund, err
	}
	if !ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(time.Until(hotspot.DayStart(time.Now()).AddDate(0, 0, 1)).Seconds())+1))
		return refund, newProblem(http.StatusTooManyRequests, fmt.Sprintf("the published view's budget of %d parameter sets a day for this %s is spent; it renews at midnight", s.cfg.PublishedBudget, scopeWord(scope)))
	}
	return refund, nil
}

func scopeWord(scope string) string {
	switch scope {
	case scopeMap, scopeSnapshots, scopeLocations:
		return scope
	}
	return "cell"
}

// spentSets remembers, for the day, the parameter sets this instance saw
// already spent, so that a repeated query costs no database round trip.
// A set it has not seen goes to the database, which is the authority.
type spentSets struct {
	mu  sync.Mutex
	day time.Time
	set map[string]bool
}

func spentKey(caller, scope string, sum [32]byte) string {
	return caller + "|" + scope + "|" + string(sum[:])
}

func (s *spentSets) has(caller string, day time.Time, scope string, sum [32]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.day.Equal(day) && s.set[spentKey(caller, scope, sum)]
}

func (s *spentSets) add(caller string, day time.Time, scope string, sum [32]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.day.Equal(day) || len(s.set) > 100000 {
		s.day, s.set = day, map[string]bool{}
	}
	s.set[spentKey(caller, scope, sum)] = true
}
