package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/ingest"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// TestDatabaseOutageDuringUpload stops the database in the middle of a
// bulk upload: the upload fails with 503, no batch is half-written,
// hexwatch recovers by itself when the database returns, and sending the
// file again stores exactly its rows.
func TestDatabaseOutageDuringUpload(t *testing.T) {
	f := newFixture(t)
	proxy := storetest.NewProxy(t, storetest.URL(t))
	db, err := store.Open(context.Background(), proxy.URL(storetest.URL(t)), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := newServer(t, db, nil)
	f.srv, f.http = srv, httptestServer(t, srv)

	file := csvRows("outage", 9000)
	split := bytes.Index(file[len(file)/2:], []byte("\r\n")) + len(file)/2 + 2
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, f.http.URL+"/api/v1/reports/bulk", pr)
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+f.callers["partner-key"].key)
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- nil
			return
		}
		done <- resp
	}()
	pw.Write(file[:split])
	// Wait for the first batch to be stored, then cut the database off.
	waitFor(t, "the first batch to be stored", func() bool { return f.agencyReports(f.agencyA.ID) >= ingest.DefaultBatchSize })
	proxy.Down()
	pw.Write(file[split:])
	pw.Close()
	resp := <-done
	if resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("upload during the outage: %v, want 503 with Retry-After", resp)
	}
	resp.Body.Close()
	stored := f.agencyReports(f.agencyA.ID)
	if stored%ingest.DefaultBatchSize != 0 {
		t.Fatalf("%d rows stored: a batch was half-written", stored)
	}
	if r := f.request(nil, http.MethodGet, "/readyz", "", nil); r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz during the outage: %d", r.StatusCode)
	}

	proxy.Up()
	deadline := time.Now().Add(20 * time.Second)
	for f.request(nil, http.MethodGet, "/readyz", "", nil).StatusCode != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("hexwatch did not recover when the database returned")
		}
		time.Sleep(100 * time.Millisecond)
	}
	s := decodeSummary(t, bulk(f, "partner-key", "text/csv", bytes.NewReader(file), ""))
	if s.Created+s.Duplicate != 9000 || s.Duplicate != stored {
		t.Fatalf("resend: %d created, %d duplicate after %d stored", s.Created, s.Duplicate, stored)
	}
	if n := f.agencyReports(f.agencyA.ID); n != 9000 {
		t.Fatalf("%d reports stored, want exactly the file's 9000", n)
	}
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
