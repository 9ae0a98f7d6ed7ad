package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/server"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// fixture is a running server with two agencies, a user of every role,
// API keys and the logs the server wrote.
type fixture struct {
	t         testing.TB
	db        *store.DB
	srv       *server.Server
	http      *httptest.Server
	logs      *syncBuffer
	validator *intel.Validator
	agencyA   store.Agency // police: grades its own reports
	agencyB   store.Agency // a council that grades its own (set so for the tests before evaluation)
	agencyC   store.Agency // a school: its reports wait for evaluation
	// callers by name: see newFixture.
	callers map[string]*caller
}

// caller is a way of calling the API: an API key, a session, or nothing.
type caller struct {
	name     string
	key      string
	username string
	password string
	cookie   string
	csrf     string
}

// sql is a connection pool of the test's own on the fixture's database,
// for what the store does not offer.
func (f *fixture) sql() *pgxpool.Pool { return storetest.SQL(f.t, f.db) }

// password is shared by the fixture's users.
const password = "a long enough password"

// newFixture builds the fixture; names are unique per call so that tests
// share the package's database.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, storetest.DB(t))
}

// newFixtureOn is newFixture on the database db.
func newFixtureOn(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	suffix := "-" + uuid.NewString()[:8]

	logs := &syncBuffer{}
	srv := newServer(t, db, logs)
	f := &fixture{t: t, db: db, srv: srv, http: httptest.NewServer(srv), logs: logs, callers: map[string]*caller{},
		validator: testValidator(t, testConfig(t))}
	t.Cleanup(f.http.Close)

	ctx := context.Background()
	ev := store.AuditEvent{Action: store.ActionAdmin, Actor: "test"}
	var err error
	if f.agencyA, err = db.CreateAgency(ctx, "Agency A"+suffix, "police", ev); err != nil {
		t.Fatal(err)
	}
	if f.agencyB, err = db.CreateAgency(ctx, "Agency B"+suffix, "local_authority", ev); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSelfGrading(ctx, f.agencyB.ID, true, ev); err != nil {
		t.Fatal(err)
	}
	if f.agencyC, err = db.CreateAgency(ctx, "Agency C"+suffix, "education", ev); err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	user := func(name string, role auth.Role, agency store.Agency) store.User {
		u, err := db.CreateUser(ctx, store.NewUser{Username: name + suffix, PasswordHash: hash, Role: role, AgencyID: agency.ID}, ev)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	key := func(role auth.Role, agency store.Agency) (string, store.APIKey) {
		k, prefix := auth.NewAPIKey()
		ak, err := db.CreateAPIKey(ctx, store.NewAPIKey{Hash: auth.HashSecret(k), Prefix: prefix, AgencyID: agency.ID, Role: role, CreatedBy: "test"}, ev)
		if err != nil {
			t.Fatal(err)
		}
		return k, ak
	}

	f.callers["anonymous"] = &caller{name: "anonymous"}
	for _, c := range []struct {
		name string
		role auth.Role
	}{{"partner", auth.Partner}, {"analyst", auth.Analyst}, {"chair", auth.Chair}, {"admin", auth.Admin}, {"evaluator", auth.Evaluator}} {
		u := user(c.name, c.role, f.agencyA)
		f.callers[c.name] = &caller{name: c.name, username: u.Username, password: password}
	}
	school := user("school", auth.Partner, f.agencyC)
	f.callers["school"] = &caller{name: "school", username: school.Username, password: password}
	k, _ := key(auth.Partner, f.agencyA)
	f.callers["partner-key"] = &caller{name: "partner-key", key: k}
	k, _ = key(auth.Partner, f.agencyB)
	f.callers["other-partner-key"] = &caller{name: "other-partner-key", key: k}
	k, revoked := key(auth.Partner, f.agencyA)
	if _, err := db.RevokeAPIKey(ctx, revoked.ID, ev); err != nil {
		t.Fatal(err)
	}
	f.callers["revoked-key"] = &caller{name: "revoked-key", key: k}

	disabled := user("disabled", auth.Analyst, f.agencyA)
	f.callers["disabled-user"] = &caller{name: "disabled-user", username: disabled.Username, password: password}
	f.login(f.callers["disabled-user"])
	yes := true
	if _, err := db.UpdateUser(ctx, disabled.ID, store.UserChange{Disabled: &yes}, ev); err != nil {
		t.Fatal(err)
	}
	return f
}

// login starts a session for c and keeps its cookie and CSRF token.
func (f *fixture) login(c *caller) {
	f.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": c.username, "password": c.password})
	resp := f.request(nil, http.MethodPost, "/api/v1/session", "application/json", bytes.NewReader(body))
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("login %s: got %d %s", c.username, resp.StatusCode, resp.body)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "hexwatch_session" {
			c.cookie = ck.Value
		}
	}
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	json.Unmarshal(resp.body, &me)
	c.csrf = me.CSRFToken
}

type response struct {
	*http.Response
	body []byte
}

// request sends a request as caller c (nil: no credentials).
func (f *fixture) request(c *caller, method, path, contentType string, body io.Reader) response {
	f.t.Helper()
	req, err := http.NewRequest(method, f.http.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c != nil {
		if c.username != "" && c.cookie == "" {
			f.login(c)
		}
		if c.key != "" {
			req.Header.Set("Authorization", "Bearer "+c.key)
		}
		if c.cookie != "" {
			req.AddCookie(&http.Cookie{Name: "hexwatch_session", Value: c.cookie})
			req.Header.Set("X-CSRF-Token", c.csrf)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	checkContract(f.t, req, resp, b)
	return response{resp, b}
}

// json sends v as a JSON body as caller name.
func (f *fixture) json(name, method, path string, v any) response {
	f.t.Helper()
	var body io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			f.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	return f.request(f.callers[name], method, path, "application/json", body)
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Contains(sub string) bool { return strings.Contains(s.String(), sub) }

// submission is a valid report in central Cambridge, observed yesterday.
func submission(ref string) map[string]any {
	return map[string]any{
		"external_ref":   ref,
		"category":       "drug_supply",
		"indicators":     []string{"multiple_phones"},
		"observed_at":    time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339),
		"location":       map[string]float64{"lat": 52.2053, "lon": 0.1218},
		"precision_m":    25,
		"grading":        map[string]any{"source": 2, "assessment": "B", "handling": "P"},
		"classification": "OFFICIAL",
		"narrative":      "Young people seen exchanging packages near the bus station.",
	}
}

// pendingReport is a report of agency C (which does not grade its own),
// waiting for evaluation.
func (f *fixture) pendingReport() string {
	f.t.Helper()
	sub := submission("pending-" + uuid.NewString())
	delete(sub, "grading")
	r := f.json("school", http.MethodPost, "/api/v1/reports", sub)
	var out struct {
		ID         string `json:"id"`
		Properties struct {
			Status string `json:"status"`
		} `json:"properties"`
	}
	if r.StatusCode != http.StatusCreated || json.Unmarshal(r.body, &out) != nil || out.Properties.Status != "pending_evaluation" {
		f.t.Fatalf("a school's report: %d %s", r.StatusCode, r.body)
	}
	return out.ID
}

// fixtureCell is the cell at res of the fixture's reports.
func fixtureCell(res int) string {
	c, _ := hexgrid.Of(52.2053, 0.1218, res)
	return c.String()
}

// report stores a report of agency A, observed yesterday, and returns its id.
func (f *fixture) report() string {
	f.t.Helper()
	return f.reportOf(f.agencyA, 1)
}

// reportOf stores a report of agency ag observed daysAgo, and returns its id.
func (f *fixture) reportOf(ag store.Agency, daysAgo int) string {
	f.t.Helper()
	m := submission("fixture-" + uuid.NewString())
	m["observed_at"] = time.Now().AddDate(0, 0, -daysAgo).UTC().Format(time.RFC3339)
	b, _ := json.Marshal(m)
	sub, errs := intel.DecodeSubmission(b)
	if errs != nil {
		f.t.Fatal(errs)
	}
	r, verr := f.validator.Validate(sub)
	if verr != nil {
		f.t.Fatal(verr)
	}
	r.ID, r.AgencyID = uuid.Must(uuid.NewV7()), ag.ID
	if _, err := f.db.InsertReports(context.Background(), []intel.Report{r}, store.AuditEvent{Action: store.ActionCollect, Actor: "test"}); err != nil {
		f.t.Fatal(err)
	}
	return r.ID.String()
}

// httptestServer serves h on a loopback port for the test's duration.
func httptestServer(t testing.TB, h http.Handler) *httptest.Server {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// snapshot freezes a snapshot at resolution 7 as the analyst and returns its id.
func (f *fixture) snapshot() string {
	f.t.Helper()
	r := f.json("analyst", http.MethodPost, "/api/v1/snapshots", map[string]any{
		"title": "Fixture snapshot", "meeting_date": "2026-12-03", "parameters": map[string]any{"res": 7},
	})
	var s struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(r.body, &s); err != nil || r.StatusCode != http.StatusCreated {
		f.t.Fatalf("create snapshot: %d %s", r.StatusCode, r.body)
	}
	return s.ID
}

// metrics is what the server's /metrics says now (served apart from the API).
func (f *fixture) metrics() string {
	f.t.Helper()
	return do(f.t, f.srv.Metrics(), http.MethodGet, "/metrics", nil).Body.String()
}

// reconfigure replaces the fixture's server with one whose settings change
// applies to (the database, agencies and callers stay).
func (f *fixture) reconfigure(change func(*config.Config)) {
	f.t.Helper()
	cfg := testConfig(f.t)
	change(&cfg)
	s, err := server.New(cfg, f.db, testValidator(f.t, cfg), slog.New(slog.NewJSONHandler(f.logs, nil)), "test")
	if err != nil {
		f.t.Fatal(err)
	}
	f.srv, f.http = s, httptestServer(f.t, s)
}
