package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/server"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Run(m)) }

func testConfig(t testing.TB) config.Config {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	cfg, _, err := config.Load(fs, nil, func(string) string { return "" }, config.Database, config.HTTP)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ShutdownTimeout = 10 * time.Second
	return cfg
}

func testValidator(t testing.TB, cfg config.Config) *intel.Validator {
	t.Helper()
	area, err := intel.LoadServiceArea(cfg.ServiceArea)
	if err != nil {
		t.Fatal(err)
	}
	byCategory, err := cfg.RetentionByCategory()
	if err != nil {
		t.Fatal(err)
	}
	return &intel.Validator{Area: area, Retention: cfg.Retention, ByCategory: byCategory, Skew: cfg.ClockSkew, Now: time.Now, Spreader: &hexgrid.Spreader{}}
}

func newServer(t testing.TB, db *store.DB, logs io.Writer) *server.Server {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	cfg := testConfig(t)
	s, err := server.New(cfg, db, testValidator(t, cfg), slog.New(slog.NewJSONHandler(logs, nil)), "test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func do(t testing.TB, h http.Handler, method, path string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, body))
	return rec
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) server.Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type: got %q, want application/problem+json (body %s)", ct, rec.Body)
	}
	var p server.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("decode problem: %v", err)
	}
	if p.Status != rec.Code || p.Title == "" || p.RequestID == "" {
		t.Fatalf("problem: got %+v for status %d, want status, title and request id", p, rec.Code)
	}
	return p
}

func TestProbes(t *testing.T) {
	s := newServer(t, storetest.DB(t), nil)

	rec := do(t, s, http.MethodGet, "/healthz", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("/healthz: got %d, want 200", rec.Code)
	}

	rec = do(t, s, http.MethodGet, "/readyz", nil)
	var ready struct {
		Status        string `json:"status"`
		SchemaVersion uint   `json:"schema_version"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &ready); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("/readyz: got %d %s", rec.Code, rec.Body)
	}
	if ready.SchemaVersion != store.SchemaVersion {
		t.Errorf("/readyz schema_version: got %d, want %d", ready.SchemaVersion, store.SchemaVersion)
	}

	rec = do(t, s, http.MethodGet, "/api/openapi.yaml", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "openapi: 3.0") {
		t.Fatalf("/api/openapi.yaml: got %d", rec.Code)
	}

	if rec := do(t, s, http.MethodGet, "/metrics", nil); rec.Code != http.StatusNotFound {
		t.Errorf("/metrics on the API's address: got %d, want 404", rec.Code)
	}
	rec = do(t, s.Metrics(), http.MethodGet, "/metrics", nil)
	for _, want := range []string{
		`hexwatch_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`hexwatch_http_request_duration_seconds_bucket{method="GET",route="/readyz"`,
		`hexwatch_db_pool_max_connections 10`,
		`hexwatch_bulk_uploads_in_progress 0`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestReadyzFollowsTheDatabase(t *testing.T) {
	proxy := storetest.NewProxy(t, storetest.URL(t))
	db, err := store.Open(context.Background(), proxy.URL(storetest.URL(t)), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := newServer(t, db, nil)

	if rec := do(t, s, http.MethodGet, "/readyz", nil); rec.Code != http.StatusOK {
		t.Fatalf("/readyz before the outage: got %d %s", rec.Code, rec.Body)
	}
	proxy.Down()
	rec := do(t, s, http.MethodGet, "/readyz", nil)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz during the outage: got %d, want 503", rec.Code)
	}
	if p := decodeProblem(t, rec); p.Detail != "database unreachable" {
		t.Errorf("/readyz detail: got %q, want %q", p.Detail, "database unreachable")
	}
	if rec := do(t, s, http.MethodGet, "/healthz", nil); rec.Code != http.StatusOK {
		t.Errorf("/healthz during the outage: got %d, want 200", rec.Code)
	}
	proxy.Up()
	if rec := do(t, s, http.MethodGet, "/readyz", nil); rec.Code != http.StatusOK {
		t.Fatalf("/readyz after the outage: got %d %s", rec.Code, rec.Body)
	}
}

func TestErrorsAreProblems(t *testing.T) {
	var logs bytes.Buffer
	s := newServer(t, storetest.DB(t), &logs)
	s.Echo().GET("/api/v1/boom", func(echo.Context) error { panic("secret detail") })

	tests := []struct {
		name, method, path string
		body               io.Reader
		want               int
	}{
		{"unknown api path", http.MethodGet, "/api/v1/nothing-here", nil, http.StatusNotFound},
		{"unknown api path, POST", http.MethodPost, "/api/v1/nothing-here", nil, http.StatusNotFound},
		{"wrong method", http.MethodPost, "/api/openapi.yaml", nil, http.StatusMethodNotAllowed},
		{"wrong method on probe", http.MethodDelete, "/healthz", nil, http.StatusMethodNotAllowed},
		{"body too large", http.MethodPost, "/api/v1/nothing-here", bytes.NewReader(make([]byte, 2<<20)), http.StatusRequestEntityTooLarge},
		{"panic", http.MethodGet, "/api/v1/boom", nil, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, s, tt.method, tt.path, tt.body)
			if rec.Code != tt.want {
				t.Fatalf("got %d, want %d", rec.Code, tt.want)
			}
			p := decodeProblem(t, rec)
			if strings.Contains(rec.Body.String(), "secret detail") {
				t.Errorf("problem leaks the panic: %+v", p)
			}
		})
	}
	if rec := do(t, s.Metrics(), http.MethodGet, "/metrics", nil); !strings.Contains(rec.Body.String(), `route="unmatched",status="404"`) {
		t.Error("/metrics does not count unmatched 404s under one route")
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"panic"`) {
		t.Error("the panic was not logged")
	}
}

func TestGracefulShutdown(t *testing.T) {
	s := newServer(t, storetest.DB(t), nil)
	started, release := make(chan struct{}), make(chan struct{})
	s.Echo().GET("/slow", func(c echo.Context) error {
		close(started)
		<-release
		return c.String(http.StatusOK, "finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()

	type result struct {
		body string
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := http.Get(addr + "/slow")
		if err != nil {
			slow <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		slow <- result{string(b), err}
	}()
	<-started
	cancel()

	// New connections are refused once shutdown has begun.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still accepts connections after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("Run returned %v before the in-flight request finished", err)
	default:
	}

	close(release)
	if r := <-slow; r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: got %q, %v; want it to finish", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
