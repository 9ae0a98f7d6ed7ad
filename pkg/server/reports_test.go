package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hexwatch/hexwatch/pkg/ingest"
	"github.com/hexwatch/hexwatch/pkg/store"
)

func decodeSummary(t *testing.T, r response) ingest.Summary {
	t.Helper()
	var s ingest.Summary
	if r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &s) != nil {
		t.Fatalf("bulk upload: got %d %s", r.StatusCode, r.body)
	}
	return s
}

// agencyReports counts the stored reports of an agency.
func (f *fixture) agencyReports(agency uuid.UUID) int {
	f.t.Helper()
	var n int
	if err := f.sql().QueryRow(context.Background(), `SELECT count(*) FROM reports WHERE agency_id = $1`, agency).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestCreateReportIsIdempotent(t *testing.T) {
	f := newFixture(t)
	sub := submission("idem-1")
	first := f.json("partner-key", http.MethodPost, "/api/v1/reports", sub)
	if first.StatusCode != http.StatusCreated || !strings.HasPrefix(first.Header.Get("Location"), "/api/v1/reports/") {
		t.Fatalf("first POST: got %d %s", first.StatusCode, first.body)
	}
	again := f.json("partner-key", http.MethodPost, "/api/v1/reports", sub)
	if again.StatusCode != http.StatusOK || again.Header.Get("Location") != first.Header.Get("Location") {
		t.Fatalf("retry: got %d at %q, want 200 at %q", again.StatusCode, again.Header.Get("Location"), first.Header.Get("Location"))
	}
	sub["category"] = "violence"
	conflict := f.json("partner-key", http.MethodPost, "/api/v1/reports", sub)
	if conflict.StatusCode != http.StatusConflict || !strings.Contains(string(conflict.body), `"field":"external_ref"`) {
		t.Fatalf("other content: got %d %s, want 409 naming external_ref", conflict.StatusCode, conflict.body)
	}
	// Another agency may use the same external_ref.
	if r := f.json("other-partner-key", http.MethodPost, "/api/v1/reports", sub); r.StatusCode != http.StatusCreated {
		t.Fatalf("same ref, other agency: got %d", r.StatusCode)
	}
	if n := f.agencyReports(f.agencyA.ID); n != 1 {
		t.Fatalf("agency A holds %d reports, want 1", n)
	}
}

func TestCreateReportStoresWhatWasSent(t *testing.T) {
	f := newFixture(t)
	sub := submission("bng-1")
	sub["location"] = map[string]float64{"easting": 544895, "northing": 258431}
	sub["observed_at"] = "2026-05-01T14:30:00+01:00"
	r := f.json("partner", http.MethodPost, "/api/v1/reports", sub)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("POST: got %d %s", r.StatusCode, r.body)
	}
	var feat struct {
		Geometry struct {
			Coordinates []float64 `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	}
	json.Unmarshal(r.body, &feat)
	// PostGIS computes the same point from the same easting and northing.
	var lon, lat float64
	err := f.sql().QueryRow(context.Background(),
		`SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(544895, 258431), 27700), 4326) g) s`).Scan(&lon, &lat)
	if err != nil {
		t.Fatal(err)
	}
	if d := 111000 * (abs(feat.Geometry.Coordinates[0]-lon)*0.61 + abs(feat.Geometry.Coordinates[1]-lat)); d > 10 {
		t.Errorf("BNG point stored %v, PostGIS says %v,%v: %.1f m apart", feat.Geometry.Coordinates, lon, lat, d)
	}
	if got := feat.Properties["observed_at"]; got != "2026-05-01T13:30:00Z" {
		t.Errorf("observed_at: got %v, want it stored in UTC", got)
	}
	if got := feat.Properties["review_at"]; got != "2032-04-29T13:30:00Z" {
		t.Errorf("review_at: got %v, want observed_at + 2190 days", got)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestCreateReportNamesEveryProblem(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		change func(map[string]any)
		field  string
		hint   string
	}{
		{"unknown field", func(s map[string]any) { s["agency"] = "someone else" }, "agency", "unknown field"},
		{"swapped", func(s map[string]any) { s["location"] = map[string]float64{"lat": 0.1218, "lon": 52.2053} }, "location", "swapped"},
		{"outside", func(s map[string]any) { s["location"] = map[string]float64{"lat": 51.5, "lon": -0.12} }, "location", "outside the service area"},
		{"string coordinate", func(s map[string]any) { s["location"] = map[string]any{"lat": "52.2", "lon": 0.12} }, "location.lat", "not a string"},
		{"future", func(s map[string]any) { s["observed_at"] = time.Now().Add(time.Hour).Format(time.RFC3339) }, "observed_at", "future"},
		{"no offset", func(s map[string]any) { s["observed_at"] = "2026-05-01T14:30:00" }, "observed_at", "offset"},
		{"conditions", func(s map[string]any) { s["grading"] = map[string]any{"source": 1, "assessment": "A", "handling": "C"} }, "grading.conditions", "required"},
		{"grading type", func(s map[string]any) {
			s["grading"] = map[string]any{"source": "one", "assessment": "A", "handling": "P"}
		}, "grading.source", "number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			sub := submission("bad-" + tt.name)
			tt.change(sub)
			r := f.json("partner", http.MethodPost, "/api/v1/reports", sub)
			p := struct {
				Errors []struct{ Field, Message string } `json:"errors"`
			}{}
			json.Unmarshal(r.body, &p)
			found := false
			for _, e := range p.Errors {
				found = found || (e.Field == tt.field && strings.Contains(e.Message, tt.hint))
			}
			if r.StatusCode != http.StatusBadRequest || !found {
				t.Fatalf("got %d %s, want 400 naming %s (%s)", r.StatusCode, r.body, tt.field, tt.hint)
			}
		})
	}
	if n := f.agencyReports(f.agencyA.ID); n != 0 {
		t.Fatalf("%d reports stored from bad input", n)
	}
}

func bulk(f *fixture, caller, contentType string, body io.Reader, query string) response {
	f.t.Helper()
	return f.request(f.callers[caller], http.MethodPost, "/api/v1/reports/bulk"+query, contentType, body)
}

func TestBulkSamples(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ file, contentType string }{
		{"reports.csv", "text/csv"},
		{"reports.ndjson", "application/x-ndjson"},
		{"reports.geojson", "application/geo+json"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			f.t = t
			b, err := os.ReadFile("../../testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			dry := decodeSummary(t, bulk(f, "partner-key", tt.contentType, bytes.NewReader(b), "?dry_run=true"))
			if dry.Valid != 50 || dry.Rejected != 0 || dry.Created != 0 {
				t.Fatalf("dry run: %+v, want 50 valid", dry)
			}
			s := decodeSummary(t, bulk(f, "partner-key", tt.contentType, bytes.NewReader(b), ""))
			if s.Rows != 50 || s.Created != 50 || len(s.Issues) != 0 {
				t.Fatalf("first upload: %+v", s)
			}
			s = decodeSummary(t, bulk(f, "partner-key", tt.contentType, bytes.NewReader(b), ""))
			if s.Created != 0 || s.Duplicate != 50 || len(s.Issues) != 50 {
				t.Fatalf("second upload: %+v, want 50 duplicates", s)
			}
		})
	}
	if n := f.agencyReports(f.agencyA.ID); n != 150 {
		t.Fatalf("agency A holds %d reports, want 150", n)
	}
}

func TestBulkBadRowsAreRejectedWithTheirReason(t *testing.T) {
	f := newFixture(t)
	b, err := os.ReadFile("../../testdata/bad-rows.csv")
	if err != nil {
		t.Fatal(err)
	}
	var expected []struct {
		Line           int
		Case           string
		Field, Message string
	}
	eb, _ := os.ReadFile("../../testdata/bad-rows.expected.json")
	if err := json.Unmarshal(eb, &expected); err != nil {
		t.Fatal(err)
	}
	s := decodeSummary(t, bulk(f, "partner-key", "text/csv", bytes.NewReader(b), ""))
	if s.Rejected != len(expected) || s.Created != 0 || len(s.Issues) != len(expected) {
		t.Fatalf("summary %+v, want all %d rows rejected", s, len(expected))
	}
	for i, want := range expected {
		is := s.Issues[i]
		found := false
		for _, e := range is.Errors {
			found = found || (e.Field == want.Field && strings.Contains(e.Message, want.Message))
		}
		if is.Row != want.Line || !found {
			t.Errorf("%s: got row %d %+v, want row %d with %s: …%s…", want.Case, is.Row, is.Errors, want.Line, want.Field, want.Message)
		}
	}
	if n := f.agencyReports(f.agencyA.ID); n != 0 {
		t.Fatalf("%d bad rows stored", n)
	}
}

// csvRows writes n valid CSV rows with refs prefix-1..n.
func csvRows(prefix string, n int) []byte {
	var b bytes.Buffer
	b.WriteString("external_ref,category,observed_at,lat,lon,source,assessment,handling,classification\r\n")
	at := time.Now().Add(-48 * time.Hour).UTC().Format(time.RFC3339)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%s-%d,drug_supply,%s,%.5f,%.5f,2,B,P,OFFICIAL\r\n", prefix, i, at, 52.15+float64(i%300)/1000, -0.15+float64(i%350)/1000)
	}
	return b.Bytes()
}

func TestBulkResubmittedTwiceStoresOnce(t *testing.T) {
	f := newFixture(t)
	file := csvRows("twice", 10000)
	for i, want := range []struct{ created, duplicate int }{{10000, 0}, {0, 10000}} {
		s := decodeSummary(t, bulk(f, "partner-key", "text/csv", bytes.NewReader(file), ""))
		if s.Created != want.created || s.Duplicate != want.duplicate {
			t.Fatalf("upload %d: %d created, %d duplicate; want %d, %d", i+1, s.Created, s.Duplicate, want.created, want.duplicate)
		}
	}
	if n := f.agencyReports(f.agencyA.ID); n != 10000 {
		t.Fatalf("agency A holds %d reports, want 10000", n)
	}
}

// brokenReader gives the first n bytes of b, then fails like a client that went away.
type brokenReader struct {
	r *bytes.Reader
	n int
}

func (b *brokenReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if len(p) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= n
	return n, err
}

func TestBulkBrokenMidwayThenResent(t *testing.T) {
	f := newFixture(t)
	file := csvRows("broken", 7000)
	// The upload breaks after about 5,000 rows: two batches of 2,000 are stored, the third is not.
	req, _ := http.NewRequest(http.MethodPost, f.http.URL+"/api/v1/reports/bulk", &brokenReader{bytes.NewReader(file), len(file) * 5 / 7})
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+f.callers["partner-key"].key)
	req.ContentLength = int64(len(file))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	// The server finishes with the broken request on its own time: wait
	// until its metrics count the request as answered.
	waitFor(t, "the broken upload to be answered", func() bool {
		return strings.Contains(f.metrics(), `route="/api/v1/reports/bulk"`)
	})
	stored := f.agencyReports(f.agencyA.ID)
	if stored == 0 || stored%ingest.DefaultBatchSize != 0 {
		t.Fatalf("%d rows stored after a broken upload: a batch was half-written", stored)
	}
	s := decodeSummary(t, bulk(f, "partner-key", "text/csv", bytes.NewReader(file), ""))
	if s.Created+s.Duplicate != 7000 || s.Duplicate != stored {
		t.Fatalf("resend: %d created, %d duplicate, %d rejected after %d stored", s.Created, s.Duplicate, s.Rejected, stored)
	}
	if n := f.agencyReports(f.agencyA.ID); n != 7000 {
		t.Fatalf("agency A holds %d reports, want exactly the file's 7000", n)
	}
}

func TestBulkRefusals(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, contentType, body, field string
		want                           int
	}{
		{"unknown type", "application/json", `{}`, "", http.StatusUnsupportedMediaType},
		{"unknown column", "text/csv", "external_ref,colour\r\nx,red\r\n", "header", http.StatusBadRequest},
		{"missing column", "text/csv", "external_ref,category\r\n", "header", http.StatusBadRequest},
		{"empty csv", "text/csv", "", "header", http.StatusBadRequest},
		{"not a feature collection", "application/geo+json", `{"type":"Feature"}`, "body", http.StatusBadRequest},
		{"broken geojson", "application/geo+json", `{"type":"FeatureCollection","features":[{"type":"Feature",`, "body", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			r := bulk(f, "partner-key", tt.contentType, strings.NewReader(tt.body), "")
			if r.StatusCode != tt.want || (tt.field != "" && !strings.Contains(string(r.body), `"field":"`+tt.field+`"`)) {
				t.Fatalf("got %d %s, want %d naming %q", r.StatusCode, r.body, tt.want, tt.field)
			}
		})
	}
}

func TestReadingReportsIsFilteredAndAudited(t *testing.T) {
	f := newFixture(t)
	id := f.report()
	// Agency B has a report too.
	if r := f.json("other-partner-key", http.MethodPost, "/api/v1/reports", submission("b-1")); r.StatusCode != http.StatusCreated {
		t.Fatal(r.StatusCode)
	}
	narrativeOf := func(caller, path string) (int, bool) {
		r := f.json(caller, http.MethodGet, path, nil)
		return r.StatusCode, strings.Contains(string(r.body), `"narrative"`)
	}
	for _, tt := range []struct {
		caller        string
		wantStatus    int
		wantNarrative bool
	}{{"partner", 200, true}, {"analyst", 200, true}, {"other-partner-key", 404, false}} {
		if st, narr := narrativeOf(tt.caller, reportPath(id)); st != tt.wantStatus || narr != tt.wantNarrative {
			t.Errorf("GET report as %s: got %d narrative=%v, want %d %v", tt.caller, st, narr, tt.wantStatus, tt.wantNarrative)
		}
	}
	var fc struct {
		Features []struct {
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	r := f.json("other-partner-key", http.MethodGet, "/api/v1/reports?agency="+f.agencyA.ID.String(), nil)
	json.Unmarshal(r.body, &fc)
	for _, ft := range fc.Features {
		if ft.Properties["agency_id"] != f.agencyB.ID.String() {
			t.Fatalf("a partner of agency B read a report of %v", ft.Properties["agency_id"])
		}
	}
	r = f.json("analyst", http.MethodGet, "/api/v1/reports?limit=1000&agency="+f.agencyA.ID.String()+","+f.agencyB.ID.String(), nil)
	json.Unmarshal(r.body, &fc)
	if len(fc.Features) != 2 {
		t.Fatalf("analyst listing: got %d reports, want 2", len(fc.Features))
	}
	evs, err := f.db.AuditEvents(context.Background(), store.AuditFilter{Action: store.ActionConsult, ObjectID: id, Limit: 10})
	if err != nil || len(evs) < 2 {
		t.Fatalf("consult events for %s: %d, %v; want one per read", id, len(evs), err)
	}
	for _, bad := range []string{"?bbox=1,2,3", "?bbox=0.5,52,0.1,52.5", "?bbox=-50,-50,50,50", "?from=yesterday", "?category=burglary", "?cell=zz", "?limit=5000"} {
		if r := f.json("analyst", http.MethodGet, "/api/v1/reports"+bad, nil); r.StatusCode != http.StatusBadRequest {
			t.Errorf("GET /reports%s: got %d, want 400", bad, r.StatusCode)
		}
	}
}

func TestAmendWithdrawErase(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// A report with a place, a time and a narrative found nowhere else.
	sub := submission("erase-me-" + uuid.NewString()[:8])
	sub["location"] = map[string]float64{"lat": 52.2123457, "lon": 0.1234567}
	sub["observed_at"] = "2026-03-17T13:37:42.123Z"
	sub["narrative"] = "Unique narrative " + uuid.NewString()
	sub["category"] = "stash_location"
	r := f.json("partner-key", http.MethodPost, "/api/v1/reports", sub)
	var created struct{ ID string }
	if err := json.Unmarshal(r.body, &created); err != nil || r.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", r.StatusCode, r.body)
	}
	id := created.ID
	before, _ := f.db.Report(ctx, uuid.MustParse(id))

	r = f.json("partner", http.MethodPatch, reportPath(id), map[string]any{"category": "cuckooing", "location": map[string]float64{"lat": 52.5695, "lon": -0.2405}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: got %d %s", r.StatusCode, r.body)
	}
	after, _ := f.db.Report(ctx, uuid.MustParse(id))
	if after.Category != "cuckooing" || after.Seq <= before.Seq || after.Cell == before.Cell {
		t.Fatalf("after PATCH: category %s seq %d→%d cell %s→%s", after.Category, before.Seq, after.Seq, before.Cell, after.Cell)
	}
	// The log says who changed which fields; the previous version is kept beside the report.
	evs, _ := f.db.AuditEvents(ctx, store.AuditFilter{Action: store.ActionAlter, ObjectID: id, Limit: 1})
	if detail, _ := json.Marshal(evs[0].Detail); len(evs) != 1 || !strings.Contains(string(detail), `"fields":["category","location"]`) ||
		strings.Contains(string(detail), "stash_location") || strings.Contains(string(detail), "52.21") {
		t.Fatalf("alter event: %s, want the fields changed and no content", detail)
	}
	var versions int
	f.sql().QueryRow(ctx, `SELECT count(*) FROM report_versions WHERE report_id = $1 AND content->>'category' = 'stash_location'`, id).Scan(&versions)
	if versions != 1 {
		t.Fatalf("report_versions: %d previous versions, want 1", versions)
	}
	if r := f.json("partner", http.MethodPatch, reportPath(id), map[string]any{"external_ref": "renamed"}); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("PATCH external_ref: got %d, want 400", r.StatusCode)
	}
	if r := f.json("partner", http.MethodPatch, reportPath(id), map[string]any{"observed_at": "tomorrow"}); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("PATCH bad observed_at: got %d, want 400", r.StatusCode)
	}

	if r := f.json("partner-key", http.MethodDelete, reportPath(id), nil); r.StatusCode != http.StatusOK || !strings.Contains(string(r.body), `"withdrawn"`) {
		t.Fatalf("withdraw: got %d %s", r.StatusCode, r.body)
	}

	// Before the erasure the greps below find the report's traces.
	for _, needle := range []string{sub["narrative"].(string), "52.2123457", "2026-03-17T13:37:42.123"} {
		if len(holding(t, f, needle)) == 0 {
			t.Fatalf("%q is in no table before the erasure: the search below would prove nothing", needle)
		}
	}
	if r := f.json("admin", http.MethodPost, reportPath(id)+"/erase", map[string]string{}); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("erase without a reason: got %d, want 400", r.StatusCode)
	}
	if r := f.json("admin", http.MethodPost, reportPath(id)+"/erase", map[string]string{"reason": "entered in error"}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("erase: got %d %s", r.StatusCode, r.body)
	}
	if _, err := f.db.Report(ctx, uuid.MustParse(id)); err == nil {
		t.Fatal("the erased report is still stored")
	}
	evs, _ = f.db.AuditEvents(ctx, store.AuditFilter{Action: store.ActionErase, ObjectID: id, Limit: 1})
	if len(evs) != 1 || evs[0].Detail != nil || evs[0].Justification != "entered in error" {
		t.Fatalf("erase event: %+v, want the reason and no content", evs)
	}
	if r := f.json("analyst", http.MethodGet, reportPath(id), nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("GET erased report: got %d, want 404", r.StatusCode)
	}

	// No table, the audit log included, holds its place, time or narrative,
	// nor its categories beside its id.
	var geomHex string
	f.sql().QueryRow(ctx, `SELECT ST_GeomFromText('POINT(0.1234567 52.2123457)', 4326)::text`).Scan(&geomHex)
	for _, needle := range []string{sub["narrative"].(string), "52.2123457", "0.1234567", geomHex, "2026-03-17 13:37:42.123", "2026-03-17T13:37:42.123"} {
		if tables := holding(t, f, needle); len(tables) > 0 {
			t.Errorf("%v still hold %q of the erased report", tables, needle)
		}
	}
	for _, table := range tableNames(t, f) {
		var n int
		f.sql().QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()+` t WHERE t::text LIKE '%' || $1 || '%'
			AND (t::text LIKE '%stash_location%' OR t::text LIKE '%cuckooing%')`, id).Scan(&n)
		if n > 0 {
			t.Errorf("table %s holds a category beside the erased report's id", table)
		}
	}
}

// tableNames lists the tables of the database.
func tableNames(t *testing.T, f *fixture) []string {
	t.Helper()
	rows, err := f.sql().Query(context.Background(), `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(names) < 10 {
		t.Fatalf("tables: %v %v", names, err)
	}
	return names
}

// holding lists the tables with a row whose text holds needle.
func holding(t *testing.T, f *fixture, needle string) []string {
	t.Helper()
	var out []string
	for _, table := range tableNames(t, f) {
		var n int
		if err := f.sql().QueryRow(context.Background(), `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()+` t WHERE t::text LIKE '%' || $1 || '%'`, needle).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			out = append(out, table)
		}
	}
	return out
}

func TestOnlyTheSubmittingAgencyChangesAReport(t *testing.T) {
	f := newFixture(t)
	other := f.reportOf(f.agencyB, 3)
	// The analyst (agency A) reads B's report but may not change it.
	if r := f.json("analyst", http.MethodGet, reportPath(other), nil); r.StatusCode != http.StatusOK {
		t.Fatalf("analyst GET: %d", r.StatusCode)
	}
	for _, m := range []string{http.MethodPatch, http.MethodDelete} {
		r := f.json("analyst", m, reportPath(other), map[string]any{"narrative": "changed by another agency"})
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("analyst %s of another agency's report: got %d, want 403", m, r.StatusCode)
		}
		if r := f.json("partner-key", m, reportPath(other), map[string]any{"narrative": "changed by another agency"}); r.StatusCode != http.StatusNotFound {
			t.Errorf("partner %s of another agency's report: got %d, want 404", m, r.StatusCode)
		}
	}
	evs, err := f.db.AuditEvents(context.Background(), store.AuditFilter{Action: store.ActionAccessDenied, ObjectID: other, Limit: 10})
	if err != nil || len(evs) != 2 {
		t.Fatalf("access_denied events: %d %v, want 2", len(evs), err)
	}
	r, _ := f.db.Report(context.Background(), uuid.MustParse(other))
	if r.Status != "live" || strings.Contains(r.Narrative, "changed") {
		t.Fatalf("the report changed: %+v", r)
	}
}

// TestReportListPages pages a list of reports in id order by cursor, and
// newest or oldest first by offset with its length; its CSV is a
// disclosure, audited with its purpose.
func TestReportListPages(t *testing.T) {
	f := newFixture(t)
	var ids []string
	for i := range 5 {
		sub := submission(fmt.Sprintf("page-%d-%s", i, uuid.NewString()[:8]))
		sub["observed_at"] = time.Now().Add(-time.Duration(i+1) * time.Hour).UTC().Format(time.RFC3339)
		r := f.json("partner-key", http.MethodPost, "/api/v1/reports", sub)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("submit: %d %s", r.StatusCode, r.body)
		}
		var out struct {
			ID string `json:"id"`
		}
		json.Unmarshal(r.body, &out)
		ids = append(ids, out.ID)
	}
	type page struct {
		Features []struct {
			ID string `json:"id"`
		} `json:"features"`
		NextCursor    string `json:"next_cursor"`
		NumberMatched *int   `json:"number_matched"`
	}
	get := func(query string) page {
		t.Helper()
		r := f.json("analyst", http.MethodGet, "/api/v1/reports?agency="+f.agencyA.ID.String()+query, nil)
		var p page
		if r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &p) != nil {
			t.Fatalf("reports%s: %d %s", query, r.StatusCode, r.body)
		}
		return p
	}
	// In id order, by cursor, to the end.
	var seen []string
	for cursor := ""; ; {
		p := get("&limit=2" + cursor)
		for _, ft := range p.Features {
			seen = append(seen, ft.ID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = "&cursor=" + p.NextCursor
	}
	if fmt.Sprint(seen) != fmt.Sprint(ids) {
		t.Fatalf("paged by cursor: %v, want %v", seen, ids)
	}
	// Newest first (observed an hour apart, newest first as submitted), by offset.
	p := get("&sort=-observed_at&limit=2&offset=2")
	if p.NumberMatched == nil || *p.NumberMatched != 5 || len(p.Features) != 2 || p.Features[0].ID != ids[2] || p.Features[1].ID != ids[3] {
		t.Fatalf("newest first, second page: %+v", p)
	}
	if p := get("&sort=observed_at&limit=1"); p.Features[0].ID != ids[4] || p.NextCursor != "" {
		t.Fatalf("oldest first: %+v", p)
	}
	for _, bad := range []string{"&sort=score", "&offset=2", "&sort=observed_at&cursor=" + ids[0], "&format=csv", "&format=xml"} {
		if r := f.json("analyst", http.MethodGet, "/api/v1/reports?agency="+f.agencyA.ID.String()+bad, nil); r.StatusCode != http.StatusBadRequest {
			t.Errorf("reports%s: got %d, want 400", bad, r.StatusCode)
		}
	}
	// The CSV: labels beside codes, Excel's BOM, audited as a disclosure.
	r := f.json("analyst", http.MethodGet, "/api/v1/reports?sort=-observed_at&format=csv&purpose=tasking&agency="+f.agencyA.ID.String(), nil)
	body := string(r.body)
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(body, "\ufeffid,external_ref,agency,observed_at_london,category,category_label") ||
		!strings.Contains(body, "Drug supply") || !strings.Contains(body, "2BP: untested source; known indirectly, corroborated") {
		t.Fatalf("CSV: %d %.300s", r.StatusCode, body)
	}
	evs, err := f.db.AuditEvents(context.Background(), store.AuditFilter{Action: store.ActionDisclose, Actor: f.callers["analyst"].username, Limit: 10})
	if err != nil || len(evs) != 1 || evs[0].Justification != "tasking" || !strings.Contains(strings.ReplaceAll(fmt.Sprintf("%s", evs[0].Detail), " ", ""), `"count":5`) {
		t.Fatalf("disclosure events: %+v %v", evs, err)
	}
}
