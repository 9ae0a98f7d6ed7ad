package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/concern"
	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// testConcernKey is the fixture's HEXWATCH_CONCERN_KEY: 32 bytes, base64.
const testConcernKey = "aGV4d2F0Y2ggdGVzdCBjb25jZXJuIGtleSAzMiBieXQ="

// testDifficulty keeps the tests' proofs of work quick.
const testDifficulty = 8

// withConcerns turns the public concern page on for f's server.
func withConcerns(f *fixture, change ...func(*config.Config)) {
	f.reconfigure(func(c *config.Config) {
		c.PublicConcerns, c.ConcernKey, c.ConcernDifficulty = true, testConcernKey, testDifficulty
		for _, ch := range change {
			ch(c)
		}
	})
}

// concernAt is a concern tapped on the map at (lat, lon), seen yesterday afternoon.
func concernAt(lat, lon float64, details string) map[string]any {
	return map[string]any{
		"where":   map[string]any{"lat": lat, "lon": lon, "zoom": 18},
		"when":    map[string]any{"day": "yesterday", "time": "afternoon"},
		"seen":    []string{"short_visits", "unexplained_gifts"},
		"details": details,
	}
}

// nonce asks the server for a proof-of-work nonce.
func (f *fixture) nonce() concern.Nonce {
	f.t.Helper()
	r := f.request(nil, http.MethodGet, "/api/v1/concerns/nonce", "", nil)
	var n concern.Nonce
	if r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &n) != nil || n.Difficulty != testDifficulty {
		f.t.Fatalf("nonce: %d %s", r.StatusCode, r.body)
	}
	return n
}

// sendConcern sends body with a fresh, solved nonce, as the page does.
func (f *fixture) sendConcern(body map[string]any) response {
	f.t.Helper()
	n := f.nonce()
	body["nonce"], body["solution"] = n.Nonce, concern.Solve(n.Nonce, n.Difficulty)
	b, _ := json.Marshal(body)
	return f.request(nil, http.MethodPost, "/api/v1/concerns", "application/json", bytes.NewReader(b))
}

// reference is the reference of a concern's answer.
func reference(t *testing.T, r response) string {
	t.Helper()
	var a struct {
		Reference string `json:"reference"`
	}
	if r.StatusCode != http.StatusCreated || json.Unmarshal(r.body, &a) != nil || !strings.HasPrefix(a.Reference, "C-") {
		t.Fatalf("concern: %d %s", r.StatusCode, r.body)
	}
	return a.Reference
}

// concernID is the id of the stored report of reference ref, or "".
func (f *fixture) concernID(ref string) string {
	var id string
	_ = f.sql().QueryRow(context.Background(), `SELECT id::text FROM reports WHERE agency_id = $1 AND external_ref = $2`, store.PublicAgencyID, ref).Scan(&id)
	return id
}

func (f *fixture) publicCount() (reports, contacts int) {
	f.t.Helper()
	ctx := context.Background()
	if err := f.sql().QueryRow(ctx, `SELECT count(*) FROM reports WHERE agency_id = $1`, store.PublicAgencyID).Scan(&reports); err != nil {
		f.t.Fatal(err)
	}
	if err := f.sql().QueryRow(ctx, `SELECT count(*) FROM concern_contacts`).Scan(&contacts); err != nil {
		f.t.Fatal(err)
	}
	return reports, contacts
}

func TestConcernsAreOffByDefault(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/api/v1/concerns/nonce", "/api/v1/concerns/form"} {
		if rec := do(t, f.srv, http.MethodGet, path, nil); rec.Code != http.StatusNotFound {
			t.Errorf("%s without HEXWATCH_PUBLIC_CONCERNS: %d", path, rec.Code)
		}
	}
	if rec := do(t, f.srv, http.MethodGet, "/concern", nil); rec.Code != http.StatusNotFound {
		t.Errorf("/concern without HEXWATCH_PUBLIC_CONCERNS: %d", rec.Code)
	}
	// serve refuses to open the page without a key to seal contact details.
	env := map[string]string{"HEXWATCH_PUBLIC_CONCERNS": "true"}
	if _, _, err := config.Load(newFlagSet(), nil, func(k string) string { return env[k] }, config.Database, config.HTTP); err == nil || !strings.Contains(err.Error(), "HEXWATCH_CONCERN_KEY") {
		t.Errorf("concerns on without a key: %v", err)
	}
	env["HEXWATCH_CONCERN_KEY"] = testConcernKey
	if _, _, err := config.Load(newFlagSet(), nil, func(k string) string { return env[k] }, config.Database, config.HTTP); err != nil {
		t.Errorf("concerns on with a key: %v", err)
	}
	// No one signs in or holds a key as the public, and it never grades its own.
	ctx := context.Background()
	ev := store.AuditEvent{Action: store.ActionAdmin, Actor: "test"}
	if _, err := f.db.CreateAPIKey(ctx, store.NewAPIKey{Hash: []byte("x"), Prefix: "hxw_x", AgencyID: store.PublicAgencyID, Role: "partner", CreatedBy: "test"}, ev); err == nil {
		t.Error("an API key of the public agency was created")
	}
	if err := f.db.SetSelfGrading(ctx, store.PublicAgencyID, true, ev); err == nil {
		t.Error("the public agency was made to grade its own")
	}
}

// TestConcernAbuse: the limits per address, the proof of work, the
// honeypot, repeats and bad input, each as the issue states it.
func TestConcernAbuse(t *testing.T) {
	f := newFixture(t)
	withConcerns(f)
	lat, lon := 52.2053, 0.1218

	t.Run("the sixth from one address in an hour gets 429", func(t *testing.T) {
		f.t = t
		withConcerns(f) // limits of its own
		for i := range 5 {
			reference(t, f.sendConcern(concernAt(lat, lon, fmt.Sprintf("Concern number %d of six", i+1))))
		}
		r := f.sendConcern(concernAt(lat, lon, "Concern number 6 of six"))
		wait, _ := strconv.Atoi(r.Header.Get("Retry-After"))
		if r.StatusCode != http.StatusTooManyRequests || wait < 3500 || wait > 3600 {
			t.Fatalf("the sixth: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
		}
	})
	withConcerns(f)

	t.Run("proof of work", func(t *testing.T) {
		f.t = t
		body := func() []byte {
			b, _ := json.Marshal(concernAt(lat, lon, "proof "+strconv.Itoa(rand.IntN(1e9))))
			return b
		}
		post := func(b []byte, nonce, solution string) response {
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			if nonce != "" {
				m["nonce"], m["solution"] = nonce, solution
			}
			b, _ = json.Marshal(m)
			return f.request(nil, http.MethodPost, "/api/v1/concerns", "application/json", bytes.NewReader(b))
		}
		key, _ := config.ConcernKeyBytes(testConcernKey)
		own := concern.NewPuzzles(key, testDifficulty)
		stale := own.IssueAt(time.Now().Add(-concern.NonceTTL - time.Minute))
		forged := concern.NewPuzzles([]byte("another key entirely, 32 bytes!!"), testDifficulty).Issue()
		n := f.nonce()
		good := concern.Solve(n.Nonce, n.Difficulty)
		wrong := good
		for concern.ZeroBits(n.Nonce, wrong) >= n.Difficulty {
			v, _ := strconv.Atoi(wrong)
			wrong = strconv.Itoa(v + 1)
		}
		before, _ := f.publicCount()
		for _, tc := range []struct {
			name, nonce, solution, field string
		}{
			{"missing", "", "", "nonce"},
			{"stale", stale.Nonce, concern.Solve(stale.Nonce, testDifficulty), "nonce"},
			{"not issued here", forged.Nonce, concern.Solve(forged.Nonce, testDifficulty), "nonce"},
			{"unsolved", n.Nonce, wrong, "solution"},
		} {
			r := post(body(), tc.nonce, tc.solution)
			if r.StatusCode != http.StatusBadRequest || !bytes.Contains(r.body, []byte(`"field":"`+tc.field+`"`)) {
				t.Errorf("%s proof: %d %s", tc.name, r.StatusCode, r.body)
			}
		}
		reference(t, post(body(), n.Nonce, good))
		if r := post(body(), n.Nonce, good); r.StatusCode != http.StatusBadRequest || !bytes.Contains(r.body, []byte("used already")) {
			t.Errorf("a reused nonce: %d %s", r.StatusCode, r.body)
		}
		if after, _ := f.publicCount(); after != before+1 {
			t.Errorf("stored %d concerns, want 1", after-before)
		}
	})

	t.Run("a filled honeypot stores nothing and looks the same", func(t *testing.T) {
		f.t = t
		before, contacts := f.publicCount()
		c := concernAt(lat, lon, "honeypot")
		c["website"], c["contact"] = "http://spam.example", map[string]any{"way": "spam@example.org"}
		reference(t, f.sendConcern(c))
		if after, afterContacts := f.publicCount(); after != before || afterContacts != contacts {
			t.Errorf("a filled honeypot stored %d reports, %d contacts", after-before, afterContacts-contacts)
		}
	})

	t.Run("the same concern from one address in a day is stored once", func(t *testing.T) {
		f.t = t
		before, _ := f.publicCount()
		first := reference(t, f.sendConcern(concernAt(lat, lon, "A grey car  outside number 12 every night")))
		again := reference(t, f.sendConcern(concernAt(lat, lon, "a grey car outside number 12, every night")))
		elsewhere := reference(t, f.sendConcern(concernAt(lat+0.01, lon, "a grey car outside number 12, every night")))
		if after, _ := f.publicCount(); after != before+2 || first != again || elsewhere == first {
			t.Errorf("stored %d, references %s, %s and (elsewhere) %s", after-before, first, again, elsewhere)
		}
	})

	t.Run("bad input stores nothing", func(t *testing.T) {
		f.t = t
		n := f.nonce()
		proof := fmt.Sprintf(`,"nonce":%q,"solution":%q}`, n.Nonce, concern.Solve(n.Nonce, n.Difficulty))
		good := `{"when":{"day":"today","time":"morning"},"seen":["drug_dealing"],"where":`
		nested := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
		for _, tc := range []struct {
			name, contentType, body, field string
			want                           int
		}{
			{"malformed JSON", "application/json", `{"where": }`, "", 400},
			{"truncated JSON", "application/json", `{"where": {"lat": 52.2`, "", 400},
			{"nested brackets", "application/json", nested, "", 413},
			{"huge body", "application/json", `{"details":"` + strings.Repeat("x", 20_000) + `"}`, "", 413},
			{"wrong content type", "text/plain", good + `{"lat":52.2,"lon":0.12}` + proof, "", 415},
			{"form post", "application/x-www-form-urlencoded", "where=Cambridge", "", 415},
			{"NaN", "application/json", good + `{"lat":NaN,"lon":0.12}` + proof, "", 400},
			{"string coordinates", "application/json", good + `{"lat":"52.2","lon":"0.12"}` + proof, "where.lat", 400},
			{"lat and lon swapped", "application/json", good + `{"lat":0.12,"lon":52.2}` + proof, "where", 400},
			{"outside the area", "application/json", good + `{"lat":53.48,"lon":-2.24}` + proof, "where", 400},
			{"a place not in the list", "application/json", good + `{"place":"Atlantis"}` + proof, "where.place", 400},
			{"no place", "application/json", good + `{}` + proof, "where", 400},
			{"a date in the future", "application/json", strings.Replace(good, `"day":"today"`, `"day":"date","date":"2099-01-01"`, 1) + `{"lat":52.2,"lon":0.12}` + proof, "when.date", 400},
			{"no box", "application/json", strings.Replace(good, `["drug_dealing"]`, `[]`, 1) + `{"lat":52.2,"lon":0.12}` + proof, "seen", 400},
			{"an unknown box", "application/json", strings.Replace(good, `drug_dealing`, `drop_table`, 1) + `{"lat":52.2,"lon":0.12}` + proof, "seen[0]", 400},
			{"unknown field", "application/json", good + `{"lat":52.2,"lon":0.12},"child_name":"x"` + proof, "child_name", 400},
			{"over-long details", "application/json", good + `{"lat":52.2,"lon":0.12},"details":"` + strings.Repeat("d", 1001) + `"` + proof, "details", 400},
			{"invalid UTF-8", "application/json", good + `{"lat":52.2,"lon":0.12},"details":"` + "\xff\xfe" + `"` + proof, "", 400},
			{"control characters in contact", "application/json", good + `{"lat":52.2,"lon":0.12},"contact":{"way":"a\u0007b"}` + proof, "contact.way", 400},
			{"a name without a way to reach them", "application/json", good + `{"lat":52.2,"lon":0.12},"contact":{"name":"Sam"}` + proof, "contact.way", 400},
		} {
			before := f.counts()
			r := f.request(nil, http.MethodPost, "/api/v1/concerns", tc.contentType, strings.NewReader(tc.body))
			if r.StatusCode != tc.want || r.Header.Get("Content-Type") != "application/problem+json" ||
				(tc.field != "" && !bytes.Contains(r.body, []byte(`"field":"`+tc.field+`"`))) {
				t.Errorf("%s: got %d %s, want %d naming %q", tc.name, r.StatusCode, truncate(string(r.body)), tc.want, tc.field)
			}
			if after := f.counts(); after != before {
				t.Errorf("%s changed the database: %v → %v", tc.name, before, after)
			}
		}
		if r := f.request(nil, http.MethodGet, "/healthz", "", nil); r.StatusCode != http.StatusOK {
			t.Fatalf("the server stopped serving: %d", r.StatusCode)
		}
	})
}

// TestConcernCountsOnlyWhenEvaluated: a concern changes no hotspot byte
// until an evaluator grades it, then counts exactly as a partner's report
// of the same content and grading.
func TestConcernCountsOnlyWhenEvaluated(t *testing.T) {
	f := newFixture(t)
	withConcerns(f)
	at := func() (float64, float64) { return 52.36 + rand.Float64()*0.05, -0.02 + rand.Float64()*0.05 }
	lat, lon := at()
	lat2, lon2 := at()
	asOf := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	query := "/api/v1/hotspots?res=10&half_life=14d&as_of=" + url.QueryEscape(asOf.Format(time.RFC3339))
	cellOf := func(body []byte, lat, lon float64) map[string]any {
		t.Helper()
		cell, _ := hexgrid.Of(lat, lon, 10)
		var fc struct {
			Features []struct {
				ID         string         `json:"id"`
				Properties map[string]any `json:"properties"`
			} `json:"features"`
		}
		if err := json.Unmarshal(body, &fc); err != nil {
			t.Fatal(err)
		}
		for _, ft := range fc.Features {
			if ft.ID == cell.String() {
				return ft.Properties
			}
		}
		return nil
	}
	before := f.json("analyst", http.MethodGet, query, nil)
	ref := reference(t, f.sendConcern(concernAt(lat, lon, "Lots of young people visiting a flat")))
	for _, caller := range []string{"analyst", "evaluator"} {
		if after := f.json(caller, http.MethodGet, query, nil); caller == "analyst" && !bytes.Equal(before.body, after.body) {
			t.Fatal("a concern waiting for evaluation changed the hotspots")
		}
	}
	grading := map[string]any{"source": 2, "assessment": "C", "handling": "P", "outcome": "intelligence"}
	if r := f.json("evaluator", http.MethodPost, reportPath(f.concernID(ref))+"/evaluation", grading); r.StatusCode != http.StatusOK {
		t.Fatalf("evaluate the concern: %d %s", r.StatusCode, r.body)
	}
	// The same content from a partner that does not grade its own.
	var observed time.Time
	if err := f.sql().QueryRow(context.Background(), `SELECT observed_at FROM reports WHERE id = $1`, f.concernID(ref)).Scan(&observed); err != nil {
		t.Fatal(err)
	}
	sub := reportAt("twin-"+ref, lat2, lon2, observed, nil)
	sub["category"], sub["indicators"], sub["precision_m"] = "child_exploitation", []string{"multiple_phones", "unexplained_money_or_goods"}, 25
	r := f.json("school", http.MethodPost, "/api/v1/reports", sub)
	var twin evaluatedReport
	if r.StatusCode != http.StatusCreated || json.Unmarshal(r.body, &twin) != nil {
		t.Fatalf("the partner's twin: %d %s", r.StatusCode, r.body)
	}
	if r := f.json("evaluator", http.MethodPost, reportPath(twin.ID)+"/evaluation", grading); r.StatusCode != http.StatusOK {
		t.Fatalf("evaluate the twin: %d %s", r.StatusCode, r.body)
	}
	after := f.json("analyst", http.MethodGet, query, nil)
	public, partner := cellOf(after.body, lat, lon), cellOf(after.body, lat2, lon2)
	if score, _ := public["score"].(float64); score <= 0 || public["score"] != partner["score"] || public["reports"] != partner["reports"] {
		t.Fatalf("the evaluated concern's cell %v, the partner's %v", public, partner)
	}
}

// TestConcernContactSealed: contact details are in no table's plain text,
// in no log, shown to the evaluator, and erased with the report.
func TestConcernContactSealed(t *testing.T) {
	f := newFixture(t)
	withConcerns(f)
	phone, email, name := "07700 9"+strconv.Itoa(10000+rand.IntN(89999)), "reporter."+strconv.Itoa(rand.IntN(1e6))+"@example.org", "Robin Q"+strconv.Itoa(rand.IntN(1e6))
	c := concernAt(52.2053, 0.1218, "Someone's flat has been taken over")
	c["contact"] = map[string]any{"name": name, "way": phone + " or " + email}
	ref := reference(t, f.sendConcern(c))
	id := f.concernID(ref)
	if id == "" {
		t.Fatal("the concern was not stored")
	}
	for _, needle := range []string{phone, email, name} {
		if tables := holding(t, f, needle); len(tables) > 0 {
			t.Errorf("%v hold %q in plain text", tables, needle)
		}
		if f.logs.Contains(needle) {
			t.Errorf("the log holds %q", needle)
		}
	}
	// The evaluator sees the words and the contact details, marked public.
	r := f.json("evaluator", http.MethodGet, "/api/v1/evaluations?limit=500", nil)
	var queue struct {
		Features []struct {
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &queue) != nil {
		t.Fatalf("queue: %d %s", r.StatusCode, r.body)
	}
	found := false
	for _, ft := range queue.Features {
		if ft.ID == id {
			found = true
			p := ft.Properties
			if p["public"] != true || p["contact"] != name+" — "+phone+" or "+email || p["narrative"] != "Someone's flat has been taken over" {
				t.Errorf("the queue shows %v", p)
			}
			if g, _ := p["suggested_grading"].(map[string]any); g["source"] != 2.0 || g["assessment"] != "C" {
				t.Errorf("suggested grading %v, want 2/C", p["suggested_grading"])
			}
		}
	}
	if !found {
		t.Fatal("the concern is not in the evaluation queue")
	}
	// The evaluator reads them with the report for as long as it is kept; no one else.
	for caller, want := range map[string]bool{"evaluator": true, "analyst": false} {
		r := f.json(caller, http.MethodGet, reportPath(id), nil)
		if (want && r.StatusCode != http.StatusOK) || bytes.Contains(r.body, []byte(email)) != want {
			t.Errorf("%s reads the concern: %d, contact shown %v (want %v)", caller, r.StatusCode, !want, want)
		}
	}
	// Nothing sent can be read back without a login.
	for _, path := range []string{reportPath(id), "/api/v1/reports?external_ref=" + ref} {
		if r := f.request(nil, http.MethodGet, path, "", nil); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous %s: %d", path, r.StatusCode)
		}
	}
	if r := f.json("admin", http.MethodPost, reportPath(id)+"/erase", map[string]any{"reason": "test of erasure"}); r.StatusCode/100 != 2 {
		t.Fatalf("erase: %d %s", r.StatusCode, r.body)
	}
	var left int
	if err := f.sql().QueryRow(context.Background(), `SELECT count(*) FROM concern_contacts WHERE report_id = $1`, id).Scan(&left); err != nil || left != 0 {
		t.Errorf("contact details left after erasure: %d %v", left, err)
	}
}

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}
