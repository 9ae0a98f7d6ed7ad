package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// TestReaderOfAStandby serves from a database that refuses writes, as a
// hot standby does, with the bookkeeping of its answers going to the
// primary through a proxy: a change is refused with 503; answers carry
// the stale header (no WAL receiver here: the data may miss changes) and
// /readyz says so while staying ready; with the primary cut off an
// analyst is still answered, a published answer (its budget is kept on
// the primary) is not, and the analyst's consult event reaches the audit
// log once the primary returns.
func TestReaderOfAStandby(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	proxy := storetest.NewProxy(t, storetest.AppURL(t))
	db, err := store.Open(ctx, storetest.AppURL(t)+"&default_transaction_read_only=on", 4)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.UsePrimary(ctx, proxy.URL(storetest.AppURL(t)), 2); err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, db, nil)
	f.srv, f.http = srv, httptestServer(t, srv)
	if err := srv.Load(ctx); err != nil {
		t.Fatal(err)
	}
	go srv.WatchReplication(ctx)
	// A login is a change: a load balancer sends it to the primary's
	// instances. Keys work anywhere.
	f.callers["analyst-key"] = &caller{key: f.apiKey(auth.Analyst, f.agencyA)}

	if r := f.json("partner-key", http.MethodPost, "/api/v1/reports", submission("standby-1")); r.StatusCode != http.StatusServiceUnavailable ||
		!strings.Contains(string(r.body), "standby") {
		t.Fatalf("a report posted to a reader of a standby: %d %s, want 503", r.StatusCode, r.body)
	}
	readyz := func() (int, map[string]any) {
		r := f.request(nil, http.MethodGet, "/readyz", "", nil)
		var out struct {
			Replication map[string]any `json:"replication"`
		}
		json.Unmarshal(r.body, &out)
		return r.StatusCode, out.Replication
	}
	waitFor(t, "the replication to be checked", func() bool { _, r := readyz(); return r != nil && r["reason"] != nil })
	if status, r := readyz(); status != http.StatusOK || r["stale"] != true || !strings.Contains(r["reason"].(string), "not receiving") {
		t.Fatalf("readyz without a WAL receiver: %d %v", status, r)
	}
	if r := f.json("analyst-key", http.MethodGet, "/api/v1/hotspots?res=8", nil); r.StatusCode != http.StatusOK || r.Header.Get("Hexwatch-Stale") == "" {
		t.Fatalf("hotspots from a standby without a WAL receiver: %d, Hexwatch-Stale %q", r.StatusCode, r.Header.Get("Hexwatch-Stale"))
	}

	proxy.Down()
	waitFor(t, "the primary to be missed", func() bool {
		_, r := readyz()
		reason, _ := r["reason"].(string)
		return strings.Contains(reason, "the primary does not answer")
	})
	r := f.json("analyst-key", http.MethodGet, "/api/v1/hotspots?res=7", nil)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Header.Get("Hexwatch-Stale"), "the primary does not answer") {
		t.Fatalf("an analyst's hotspots without the primary: %d, Hexwatch-Stale %q", r.StatusCode, r.Header.Get("Hexwatch-Stale"))
	}
	if h := f.request(nil, http.MethodGet, "/readyz", "", nil).Header.Get("Hexwatch-Stale"); h == "" || strings.Contains(h, "data as of") {
		t.Errorf("an anonymous caller's Hexwatch-Stale: %q, want the reason without the time of the primary's last write", h)
	}
	if r := f.request(nil, http.MethodGet, "/readyz", "", nil); regexp.MustCompile(`\d{4}-\d\d-\d\dT`).Match(r.body) {
		t.Errorf("/readyz tells anyone a time: %s", r.body)
	}
	requestID := r.Header.Get("X-Request-Id")
	if p := f.json("partner-key", http.MethodGet, "/api/v1/hotspots?res=7", nil); p.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a published answer without the primary, where its budget is kept: %d %s, want 503", p.StatusCode, p.body)
	}
	audited := func() bool {
		var n int
		err := storetest.SQL(t, f.db).QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE request_id = $1 AND action = $2`,
			requestID, store.ActionConsult).Scan(&n)
		return err == nil && n == 1
	}
	srv.FlushAudit()
	if audited() {
		t.Fatal("the consult event was written while the primary was cut off")
	}
	proxy.Up()
	waitFor(t, "the kept consult event to reach the audit log", audited)
}
