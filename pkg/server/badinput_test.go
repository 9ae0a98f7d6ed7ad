package server_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

// counts are what bad input must leave unchanged.
func (f *fixture) counts() [3]int {
	f.t.Helper()
	var c [3]int
	for i, table := range []string{"reports", "snapshots", "agencies"} {
		if err := f.sql().QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&c[i]); err != nil {
			f.t.Fatal(err)
		}
	}
	return c
}

// TestBadInputLeavesNothing sends every kind of bad input to the endpoints
// that take input: each gets a 4xx problem+json, nothing is stored, and the
// server goes on serving.
func TestBadInputLeavesNothing(t *testing.T) {
	f := newFixture(t)
	nested := strings.Repeat("[", 1_000_000) + strings.Repeat("]", 1_000_000)
	huge := `{"external_ref":"` + strings.Repeat("x", 2<<20) + `"}`
	good := `{"external_ref":"b1","category":"drug_supply","observed_at":"2026-03-01T10:00:00Z","grading":{"source":1,"assessment":"A","handling":"P"},"classification":"OFFICIAL","location":`
	tests := []struct {
		name, caller, method, path, contentType, body string
		want                                          int
		chunked                                       bool
	}{
		{"malformed JSON", "partner-key", "POST", "/api/v1/reports", "application/json", `{"external_ref": }`, 400, false},
		{"truncated JSON", "partner-key", "POST", "/api/v1/reports", "application/json", `{"external_ref": "x"`, 400, false},
		{"a million nested brackets", "partner-key", "POST", "/api/v1/reports", "application/json", nested, 413, false},
		{"huge body with Content-Length", "partner-key", "POST", "/api/v1/reports", "application/json", huge, 413, false},
		{"huge body without Content-Length", "partner-key", "POST", "/api/v1/reports", "application/json", huge, 413, true},
		{"wrong content type", "partner-key", "POST", "/api/v1/reports", "text/plain", good + `{"lat":52.2,"lon":0.12}}`, 415, false},
		{"NaN", "partner-key", "POST", "/api/v1/reports", "application/json", good + `{"lat":NaN,"lon":0.12}}`, 400, false},
		{"Infinity", "partner-key", "POST", "/api/v1/reports", "application/json", good + `{"lat":Infinity,"lon":0.12}}`, 400, false},
		{"1e400", "partner-key", "POST", "/api/v1/reports", "application/json", good + `{"lat":1e400,"lon":0.12}}`, 400, false},
		{"string coordinates", "partner-key", "POST", "/api/v1/reports", "application/json", good + `{"lat":"52.2","lon":"0.12"}}`, 400, false},
		{"lat and lon swapped", "partner-key", "POST", "/api/v1/reports", "application/json", good + `{"lat":0.12,"lon":52.2}}`, 400, false},
		{"outside the service area", "partner-key", "POST", "/api/v1/reports", "application/json", good + `{"lat":53.48,"lon":-2.24}}`, 400, false},
		{"no offset", "partner-key", "POST", "/api/v1/reports", "application/json", strings.Replace(good, "10:00:00Z", "10:00:00", 1) + `{"lat":52.2,"lon":0.12}}`, 400, false},
		{"in the future", "partner-key", "POST", "/api/v1/reports", "application/json", strings.Replace(good, "2026-03-01", "2099-03-01", 1) + `{"lat":52.2,"lon":0.12}}`, 400, false},
		{"unknown field", "partner-key", "POST", "/api/v1/reports", "application/json", good + `{"lat":52.2,"lon":0.12},"child_name":"x"}`, 400, false},
		{"over-long narrative", "partner-key", "POST", "/api/v1/reports", "application/json", good + `{"lat":52.2,"lon":0.12},"narrative":"` + strings.Repeat("n", 2001) + `"}`, 400, false},
		{"invalid UTF-8", "partner-key", "POST", "/api/v1/reports", "application/json", good + `{"lat":52.2,"lon":0.12},"narrative":"` + "\xff\xfe" + `"}`, 400, false},
		{"invalid UTF-8 elsewhere", "admin", "POST", "/api/v1/agencies", "application/json", `{"name":"` + "\xc3\x28" + `","kind":"police"}`, 400, false},
		{"CSV with ragged rows only", "partner-key", "POST", "/api/v1/reports/bulk", "text/csv", "external_ref,colour\r\n\"a,b\r\n", 400, false},
		{"GeoJSON that is not a collection", "partner-key", "POST", "/api/v1/reports/bulk", "application/geo+json", `[1,2,3]`, 400, false},
		{"huge bbox", "analyst", "GET", "/api/v1/hotspots?bbox=-170,-80,170,80", "", "", 400, false},
		{"inverted bbox", "analyst", "GET", "/api/v1/reports?bbox=0.5,52.5,0.1,52.1", "", "", 400, false},
		{"snapshot with bad parameters", "chair", "POST", "/api/v1/snapshots", "application/json", `{"title":"t","meeting_date":"2026-12-03","parameters":{"res":99}}`, 400, false},
		{"snapshot with a bad date", "chair", "POST", "/api/v1/snapshots", "application/json", `{"title":"t","meeting_date":"03/12/2026"}`, 400, false},
	}
	before := f.counts()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			var r response
			if tt.chunked {
				// An io.Reader that is not a bytes.Reader makes the client stream without Content-Length.
				r = f.request(f.callers[tt.caller], tt.method, tt.path, tt.contentType, struct{ *bytes.Reader }{bytes.NewReader([]byte(tt.body))})
			} else {
				r = f.request(f.callers[tt.caller], tt.method, tt.path, tt.contentType, strings.NewReader(tt.body))
			}
			if r.StatusCode != tt.want || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("got %d %s, want %d problem+json", r.StatusCode, truncate(string(r.body)), tt.want)
			}
		})
	}
	f.t = t
	if after := f.counts(); after != before {
		t.Fatalf("bad input changed the database: %v → %v", before, after)
	}
	if r := f.request(nil, http.MethodGet, "/healthz", "", nil); r.StatusCode != http.StatusOK {
		t.Fatalf("the server stopped serving: %d", r.StatusCode)
	}
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
