package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// callerNames are the callers every route is tried with.
var callerNames = []string{"anonymous", "partner", "partner-key", "other-partner-key", "analyst", "chair", "admin", "evaluator", "revoked-key", "disabled-user"}

// unauthenticated callers get 401 from every route that is not public.
var unauthenticated = []string{"anonymous", "revoked-key", "disabled-user"}

var (
	everyone      = []string{"partner", "partner-key", "other-partner-key", "analyst", "chair", "admin", "evaluator"}
	sessionsOnly  = []string{"partner", "analyst", "chair", "admin", "evaluator"}
	adminOnly     = []string{"admin"}
	allForPublics = callerNames
)

type accessRule struct {
	route   string
	allowed []string
	ok      int
	// call returns the path (with ids filled in) and the body: JSON, or a rawBody.
	call func(f *fixture) (string, any)
	// others are statuses other than 403 for callers not allowed.
	others map[string]int
}

// rawBody is a request body that is not JSON.
type rawBody struct {
	contentType, data string
}

// sessionRoutes end or replace the caller's session: they are called
// with a fresh session, so that the caller's own goes on working.
var sessionRoutes = []string{"POST /api/v1/session", "DELETE /api/v1/session"}

// passwordRoutes end every session of the user: the caller logs in again after.
var passwordRoutes = []string{"PUT /api/v1/me/password"}

// access is who may call each route: the one place to read it. A caller
// in allowed gets status ok; an authenticated caller not in allowed gets
// 403; an unauthenticated one 401. Every API route must have an entry.
var access = []accessRule{
	{"POST /api/v1/session", allForPublics, http.StatusOK, func(f *fixture) (string, any) {
		p := f.callers["partner"]
		return "/api/v1/session", map[string]string{"username": p.username, "password": p.password}
	}, nil},
	{"DELETE /api/v1/session", sessionsOnly, http.StatusNoContent, nil, nil},
	{"GET /api/v1/me", everyone, http.StatusOK, nil, nil},
	// Any user may change their own password (here to the same one); an API key has none.
	{"PUT /api/v1/me/password", sessionsOnly, http.StatusNoContent, func(f *fixture) (string, any) {
		return "/api/v1/me/password", map[string]string{"current_password": password, "new_password": password}
	}, nil},
	{"GET /api/v1/agencies", everyone, http.StatusOK, nil, nil},
	{"POST /api/v1/agencies", adminOnly, http.StatusCreated, func(f *fixture) (string, any) {
		return "/api/v1/agencies", map[string]string{"name": "New agency " + uuid.NewString(), "kind": "housing"}
	}, nil},
	{"PATCH /api/v1/agencies/:id", adminOnly, http.StatusOK, func(f *fixture) (string, any) {
		return "/api/v1/agencies/" + f.agencyB.ID.String(), map[string]bool{"self_grading": true}
	}, nil},
	{"GET /api/v1/roles", adminOnly, http.StatusOK, nil, nil},
	{"GET /api/v1/users", adminOnly, http.StatusOK, nil, nil},
	{"POST /api/v1/users", adminOnly, http.StatusCreated, func(f *fixture) (string, any) {
		return "/api/v1/users", map[string]string{"username": "u-" + uuid.NewString()[:12], "role": "partner", "agency": f.agencyB.Name}
	}, nil},
	{"PATCH /api/v1/users/:id", adminOnly, http.StatusOK, func(f *fixture) (string, any) {
		u, err := f.db.UserByName(context.Background(), f.callers["chair"].username)
		if err != nil {
			f.t.Fatal(err)
		}
		return "/api/v1/users/" + u.ID.String(), map[string]string{"role": "chair"}
	}, nil},
	{"GET /api/v1/keys", adminOnly, http.StatusOK, nil, nil},
	{"POST /api/v1/keys", adminOnly, http.StatusCreated, func(f *fixture) (string, any) {
		return "/api/v1/keys", map[string]string{"agency": f.agencyA.Name, "role": "partner", "label": "case system"}
	}, nil},
	{"DELETE /api/v1/keys/:id", adminOnly, http.StatusOK, func(f *fixture) (string, any) {
		_, prefix := auth.NewAPIKey()
		k, err := f.db.CreateAPIKey(context.Background(), store.NewAPIKey{
			Hash: auth.HashSecret(uuid.NewString()), Prefix: prefix, AgencyID: f.agencyA.ID, Role: auth.Partner, CreatedBy: "test",
		}, store.AuditEvent{Action: store.ActionKeyCreated, Actor: "test"})
		if err != nil {
			f.t.Fatal(err)
		}
		return "/api/v1/keys/" + k.ID.String(), nil
	}, nil},
	{"GET /api/v1/audit", adminOnly, http.StatusOK, nil, nil},

	{"GET /api/v1/taxonomy", everyone, http.StatusOK, nil, nil},
	{"GET /api/v1/releases", everyone, http.StatusOK, nil, nil},
	{"POST /api/v1/reports", partners, http.StatusCreated, func(f *fixture) (string, any) {
		return "/api/v1/reports", submission("access-" + uuid.NewString())
	}, nil},
	{"POST /api/v1/reports/bulk", partners, http.StatusOK, func(f *fixture) (string, any) {
		b, _ := json.Marshal(submission("bulk-" + uuid.NewString()))
		return "/api/v1/reports/bulk", rawBody{"application/x-ndjson", string(b) + "\n"}
	}, nil},
	{"GET /api/v1/reports", readers, http.StatusOK, nil, nil},
	// A report of agency A: another agency's partner is told it does not exist.
	{"GET /api/v1/reports/:id", agencyAViewers, http.StatusOK, func(f *fixture) (string, any) {
		return reportPath(f.report()), nil
	}, notFoundForOtherAgency},
	{"PATCH /api/v1/reports/:id", agencyAReaders, http.StatusOK, func(f *fixture) (string, any) {
		return reportPath(f.report()), map[string]any{"narrative": "amended"}
	}, notFoundForOtherAgency},
	{"DELETE /api/v1/reports/:id", agencyAReaders, http.StatusOK, func(f *fixture) (string, any) {
		return reportPath(f.report()), nil
	}, notFoundForOtherAgency},
	{"GET /api/v1/map-config", everyone, http.StatusOK, nil, nil},
	{"GET /api/v1/hotspots", viewers, http.StatusOK, nil, nil},
	// The cell of TestAccessMatrix's release: ten reports of each of two
	// agencies, a fortnight old, shown to everyone.
	{"GET /api/v1/hotspots/:cell", viewers, http.StatusOK, func(f *fixture) (string, any) {
		return "/api/v1/hotspots/" + fixtureCell(8), nil
	}, nil},
	{"GET /api/v1/coverage", viewers, http.StatusOK, func(f *fixture) (string, any) {
		return "/api/v1/coverage?res=7", nil
	}, nil},
	{"GET /api/v1/accuracy", exactReaders, http.StatusOK, func(f *fixture) (string, any) {
		return "/api/v1/accuracy?weeks=2", nil
	}, nil},
	{"GET /api/v1/agencies/activity", activityReaders, http.StatusOK, nil, nil},
	{"POST /api/v1/snapshots", snapshotters, http.StatusCreated, func(f *fixture) (string, any) {
		return "/api/v1/snapshots", map[string]any{"title": "Access test", "meeting_date": "2026-12-03", "parameters": map[string]any{"res": 7}}
	}, nil},
	{"GET /api/v1/snapshots", snapshotters, http.StatusOK, nil, nil},
	{"GET /api/v1/snapshots/:id", snapshotters, http.StatusOK, func(f *fixture) (string, any) {
		return "/api/v1/snapshots/" + f.snapshot(), nil
	}, nil},
	{"GET /api/v1/snapshots/:id/changes", snapshotters, http.StatusOK, func(f *fixture) (string, any) {
		f.snapshot()
		return "/api/v1/snapshots/" + f.snapshot() + "/changes", nil
	}, nil},
	{"GET /api/v1/snapshots/:id/:export", snapshotters, http.StatusOK, func(f *fixture) (string, any) {
		return "/api/v1/snapshots/" + f.snapshot() + "/hotspots.csv?purpose=access+test", nil
	}, nil},
	{"DELETE /api/v1/snapshots/:id", adminOnly, http.StatusNoContent, func(f *fixture) (string, any) {
		return "/api/v1/snapshots/" + f.snapshot(), nil
	}, nil},
	{"GET /api/v1/review", adminOnly, http.StatusOK, nil, nil},
	{"GET /api/v1/disclosure", adminOnly, http.StatusOK, nil, nil},
	{"POST /api/v1/reports/:id/retain", adminOnly, http.StatusOK, func(f *fixture) (string, any) {
		return reportPath(f.report()) + "/retain", map[string]string{"reason": "linked to an open investigation", "review_at": time.Now().AddDate(1, 0, 0).Format(time.DateOnly)}
	}, nil},
	{"POST /api/v1/reports/:id/erase", adminOnly, http.StatusNoContent, func(f *fixture) (string, any) {
		return reportPath(f.report()) + "/erase", map[string]string{"reason": "entered in error"}
	}, nil},
	{"GET /api/v1/evaluations", evaluators, http.StatusOK, nil, nil},
	// A school's report, waiting for evaluation: only evaluators may evaluate it.
	{"POST /api/v1/reports/:id/evaluation", evaluators, http.StatusOK, func(f *fixture) (string, any) {
		return reportPath(f.pendingReport()) + "/evaluation", map[string]any{"source": 2, "assessment": "B", "handling": "P", "outcome": "intelligence"}
	}, nil},
	{"GET /api/v1/feedback", feedbackReaders, http.StatusOK, nil, nil},
	{"GET /api/v1/locations", everyone, http.StatusOK, nil, nil},
	{"POST /api/v1/locations", locationManagers, http.StatusCreated, func(f *fixture) (string, any) {
		return "/api/v1/locations", map[string]any{"name": "Access " + uuid.NewString()[:8], "owner_agency": f.agencyA.Name, "cell": fixtureCell(8), "rings": 1}
	}, nil},
	{"GET /api/v1/locations/:id", everyone, http.StatusOK, func(f *fixture) (string, any) {
		return "/api/v1/locations/" + f.location(), nil
	}, nil},
	{"PATCH /api/v1/locations/:id", locationManagers, http.StatusOK, func(f *fixture) (string, any) {
		return "/api/v1/locations/" + f.location(), map[string]any{"review_date": "2027-02-01"}
	}, nil},
	// A location drawn today is in no release yet: the published view says so.
	{"GET /api/v1/locations/:id/evaluation", viewers, http.StatusOK, func(f *fixture) (string, any) {
		return "/api/v1/locations/" + f.location() + "/evaluation?weeks=4&at=" + time.Now().AddDate(0, 0, -14).Format(time.DateOnly), nil
	}, nil},
	{"POST /api/v1/locations/:id/actions", locationManagers, http.StatusCreated, func(f *fixture) (string, any) {
		return "/api/v1/locations/" + f.location() + "/actions", map[string]any{"tactic": "licensing_review", "owner_agency": f.agencyB.Name,
			"start_date": "2026-12-01", "due_date": "2027-01-15"}
	}, nil},
	{"GET /api/v1/actions", actionWorkers, http.StatusOK, nil, nil},
	// An action of agency A: another agency's caller does not find it.
	{"GET /api/v1/actions/:id", agencyAWorkers, http.StatusOK, func(f *fixture) (string, any) {
		return "/api/v1/actions/" + f.action(f.location(), f.agencyA), nil
	}, notFoundForOtherAgency},
	{"PATCH /api/v1/actions/:id", agencyAWorkers, http.StatusOK, func(f *fixture) (string, any) {
		return "/api/v1/actions/" + f.action(f.location(), f.agencyA), map[string]string{"status": "in_progress"}
	}, notFoundForOtherAgency},
}

var (
	partners               = []string{"partner", "partner-key", "other-partner-key"}
	readers                = []string{"partner", "partner-key", "other-partner-key", "analyst", "evaluator"}
	agencyAReaders         = []string{"partner", "partner-key", "analyst"}
	agencyAViewers         = []string{"partner", "partner-key", "analyst", "evaluator"}
	viewers                = []string{"partner", "partner-key", "other-partner-key", "analyst", "chair", "evaluator"}
	evaluators             = []string{"evaluator"}
	exactReaders           = []string{"analyst", "evaluator"}
	activityReaders        = []string{"analyst", "chair", "admin"}
	feedbackReaders        = []string{"partner", "partner-key", "other-partner-key", "chair", "admin", "evaluator"}
	snapshotters           = []string{"analyst", "chair"}
	locationManagers       = []string{"analyst", "chair"}
	actionWorkers          = []string{"partner", "partner-key", "other-partner-key", "analyst", "chair", "evaluator"}
	agencyAWorkers         = []string{"partner", "partner-key", "analyst", "chair", "evaluator"}
	notFoundForOtherAgency = map[string]int{"other-partner-key": http.StatusNotFound}
)

func reportPath(id string) string { return "/api/v1/reports/" + id }

func TestAccessMatrix(t *testing.T) {
	f := newFixture(t)
	for range 10 {
		f.reportOf(f.agencyA, 14)
		f.reportOf(f.agencyB, 14)
	}
	if _, err := f.db.BackdateCounted(context.Background(), 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	f.publish(time.Now())

	var routes []string
	for _, r := range f.srv.Echo().Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/") {
			routes = append(routes, r.Method+" "+r.Path)
		}
	}
	sort.Strings(routes)
	for _, r := range routes {
		if !slices.ContainsFunc(access, func(a accessRule) bool { return a.route == r }) {
			t.Errorf("route %s has no entry in the access table", r)
		}
	}

	for _, a := range access {
		method, path, _ := strings.Cut(a.route, " ")
		for _, name := range callerNames {
			t.Run(a.route+"/"+name, func(t *testing.T) {
				f.t = t
				p, body := path, any(nil)
				if a.call != nil {
					p, body = a.call(f)
				}
				want := http.StatusForbidden
				switch {
				case slices.Contains(a.allowed, name):
					want = a.ok
				case slices.Contains(unauthenticated, name):
					want = http.StatusUnauthorized
				case a.others[name] != 0:
					want = a.others[name]
				}
				as := name
				if slices.Contains(sessionRoutes, a.route) && f.callers[name].username != "" && name != "disabled-user" {
					c := *f.callers[name]
					c.cookie = ""
					f.login(&c)
					as = name + "-fresh"
					f.callers[as] = &c
				}
				var resp response
				if raw, ok := body.(rawBody); ok {
					resp = f.request(f.callers[as], method, p, raw.contentType, strings.NewReader(raw.data))
				} else {
					resp = f.json(as, method, p, body)
				}
				if resp.StatusCode != want {
					t.Fatalf("%s as %s: got %d, want %d (%s)", a.route, name, resp.StatusCode, want, resp.body)
				}
				if slices.Contains(passwordRoutes, a.route) && resp.StatusCode == http.StatusNoContent {
					f.login(f.callers[name])
				}
			})
		}
	}
}

// TestEveryReportWriteIsSeenByTheNextAnswer calls every route of the
// access table that writes reports, as a caller allowed to, and checks
// that the next hotspot answer holds the change: the data version moves
// with no call to tell the engine, and although the engine would not
// otherwise look at the database again for an hour.
func TestEveryReportWriteIsSeenByTheNextAnswer(t *testing.T) {
	f := newFixtureOn(t, storetest.OwnDB(t))
	f.srv.Engine().Every = time.Hour
	version := func() int64 {
		fc, r := f.hotspots("analyst", "?res=10")
		if r.StatusCode != http.StatusOK {
			t.Fatalf("hotspots: %d %s", r.StatusCode, r.body)
		}
		return fc.DataVersion
	}
	writes := 0
	for _, a := range access {
		method, path, _ := strings.Cut(a.route, " ")
		if method == http.MethodGet || !strings.HasPrefix(path, "/api/v1/reports") {
			continue
		}
		writes++
		p, body := a.call(f)
		before := version()
		caller := a.allowed[0]
		var resp response
		if raw, ok := body.(rawBody); ok {
			resp = f.request(f.callers[caller], method, p, raw.contentType, strings.NewReader(raw.data))
		} else {
			resp = f.json(caller, method, p, body)
		}
		if resp.StatusCode != a.ok {
			t.Fatalf("%s as %s: got %d, want %d (%s)", a.route, caller, resp.StatusCode, a.ok, resp.body)
		}
		if after := version(); after <= before {
			t.Errorf("%s: the next answer has data version %d, as before it", a.route, after)
		}
	}
	if writes < 6 {
		t.Fatalf("only %d writing routes found", writes)
	}
}
