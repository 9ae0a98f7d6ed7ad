package server_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/server"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

func TestRateLimitPerCaller(t *testing.T) {
	f := newFixture(t)
	f.reconfigure(func(cfg *config.Config) { cfg.RateLimit, cfg.RateBurst = 0.5, 3 })
	for i := range 3 {
		if r := f.json("partner-key", http.MethodGet, "/api/v1/me", nil); r.StatusCode != http.StatusOK {
			t.Fatalf("request %d within the burst: got %d", i+1, r.StatusCode)
		}
	}
	r := f.json("partner-key", http.MethodGet, "/api/v1/me", nil)
	if r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("request over the rate: got %d, want 429", r.StatusCode)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After: %q", r.Header.Get("Retry-After"))
	}
	// Another agency's system is not held back by the first one.
	if r := f.json("other-partner-key", http.MethodGet, "/api/v1/me", nil); r.StatusCode != http.StatusOK {
		t.Fatalf("another caller: got %d, want 200", r.StatusCode)
	}
}

// A client that never finishes its headers is cut off after the
// read-header timeout, and the server goes on serving others.
func TestSlowClientIsCutOff(t *testing.T) {
	cfg := testConfig(t)
	cfg.ReadHeaderTimeout = 300 * time.Millisecond
	s, err := server.New(cfg, storetest.DB(t), testValidator(t, cfg), slog.New(slog.NewJSONHandler(io.Discard, nil)), "test")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx, ln)

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a"))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server still holds a client that never finished its headers")
	}
	if strings.Contains(string(b), "200 OK") {
		t.Fatalf("the slow client was served: %q", b)
	}
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the server stopped serving others: %v", err)
	}
	resp.Body.Close()
}

func TestSecurityHeadersAndNoCORS(t *testing.T) {
	s := newServer(t, storetest.DB(t), nil)
	for _, path := range []string{"/", "/api/v1/me", "/healthz"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Origin", "https://evil.example")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		h := rec.Header()
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'self'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %s", path, csp, want)
			}
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, h)
		}
		if h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: CORS is open to %q", path, h.Get("Access-Control-Allow-Origin"))
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain http", path)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	req.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if !strings.Contains(rec.Header().Get("Strict-Transport-Security"), "max-age=") {
		t.Error("no HSTS over TLS")
	}
}

// Bulk uploads beyond HEXWATCH_BULK_CONCURRENCY wait for a slot, then are
// turned away with 503 rather than piling up.
func TestBulkConcurrencyIsBounded(t *testing.T) {
	f := newFixture(t)
	f.reconfigure(func(cfg *config.Config) { cfg.BulkConcurrency = 1 })
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, f.http.URL+"/api/v1/reports/bulk", pr)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+f.callers["partner-key"].key)
	first := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	pw.Write([]byte("\n")) // the first upload holds the only slot
	waitFor(t, "the first upload to take the slot", func() bool {
		return strings.Contains(f.metrics(), "hexwatch_bulk_uploads_in_progress 1")
	})
	r := f.request(f.callers["other-partner-key"], http.MethodPost, "/api/v1/reports/bulk", "application/x-ndjson", strings.NewReader("\n"))
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("a second upload while the only slot is taken: got %d, want 503 with Retry-After", r.StatusCode)
	}
	pw.Close()
	if status := <-first; status != http.StatusOK {
		t.Fatalf("the first upload: got %d, want 200", status)
	}
}

func TestWrongAPIKeysAreRateLimited(t *testing.T) {
	f := newFixture(t)
	f.reconfigure(func(cfg *config.Config) { cfg.RateLimit, cfg.RateBurst = 0.5, 3 })
	guess := &caller{name: "guesser", key: "hxw_not_a_key_at_all"}
	for i := range 3 {
		if r := f.request(guess, http.MethodGet, "/api/v1/me", "", nil); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong key %d within the burst: got %d, want 401", i+1, r.StatusCode)
		}
	}
	if r := f.request(guess, http.MethodGet, "/api/v1/me", "", nil); r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("wrong keys over the rate: got %d, want 429 with Retry-After", r.StatusCode)
	}
}

// rss is the process's resident memory in bytes.
func rss(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestWorstCasePartnerQueriesStayBounded runs eight of the heaviest
// queries a partner may ask at once and measures the memory they take.
func TestWorstCasePartnerQueriesStayBounded(t *testing.T) {
	f := newFixture(t)
	loadDemo(t, f, 5000)
	fc, _ := f.hotspots("partner-key", "")
	if len(fc.Features) == 0 {
		t.Fatal("no published cell to explain")
	}
	cell := fc.Features[0].ID
	runtime.GC()
	debug.FreeOSMemory()
	before := rss(t)
	peak := before
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
				peak = max(peak, rss(t))
			}
		}
	}()
	var wg sync.WaitGroup
	codes := make(chan int, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hl := []string{"14d", "28d", "56d"}[i%3]
			path := "/api/v1/hotspots/" + cell + "?window=364d&fdr=true&half_life=" + hl + "&as_of=" + time.Now().AddDate(0, 0, -i).Format(time.DateOnly)
			if i%2 == 1 {
				path = "/api/v1/hotspots?res=8&window=364d&fdr=true&half_life=" + hl + "&as_of=" + time.Now().AddDate(0, 0, -i).Format(time.DateOnly)
			}
			req, _ := http.NewRequest(http.MethodGet, f.http.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+f.callers["partner-key"].key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(done)
	<-sampled
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Fatalf("a worst-case partner query: got %d", c)
		}
	}
	extra := peak - before
	t.Logf("8 concurrent worst-case partner queries: %.1f MB extra RSS at the peak", float64(extra)/(1<<20))
	if extra > 200<<20 {
		t.Fatalf("8 concurrent worst-case partner queries took %.0f MB extra RSS, want under 200 MB", float64(extra)/(1<<20))
	}
}

// TestForwardingHeadersAreNotTrusted sends every request of a caller over
// its rate with a different X-Forwarded-For and X-Real-IP: no header a
// client writes changes the address the server limits, logs and audits.
func TestForwardingHeadersAreNotTrusted(t *testing.T) {
	f := newFixture(t)
	f.reconfigure(func(cfg *config.Config) { cfg.RateLimit, cfg.RateBurst = 0.5, 3 })
	var last int
	for i := range 4 {
		req, err := http.NewRequest(http.MethodGet, f.http.URL+"/api/v1/me", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer hxw_not_a_key_at_all")
		spoofed := fmt.Sprintf("203.0.113.%d", 10+i)
		req.Header.Set("X-Forwarded-For", spoofed)
		req.Header.Set("X-Real-IP", spoofed)
		req.Header.Set("Forwarded", "for="+spoofed)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		last = resp.StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("the fourth request from one connection address, with a new forwarding header: got %d, want 429", last)
	}
	if strings.Contains(f.logs.String(), "203.0.113.") {
		t.Fatal("a client-supplied forwarding address reached the logs")
	}
}
