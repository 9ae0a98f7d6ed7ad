package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// reportAt is a report at (lat, lon), precise to 10 m, observed a day ago,
// ungraded unless grading is given.
func reportAt(ref string, lat, lon float64, observed time.Time, grading map[string]any) map[string]any {
	sub := submission(ref)
	sub["location"] = map[string]float64{"lat": lat, "lon": lon}
	sub["precision_m"] = 10
	sub["observed_at"] = observed.UTC().Format(time.RFC3339)
	delete(sub, "grading")
	if grading != nil {
		sub["grading"] = grading
	}
	return sub
}

type evaluatedReport struct {
	ID         string `json:"id"`
	Properties struct {
		Status           string         `json:"status"`
		Grading          *intel.Grading `json:"grading"`
		SuggestedGrading *intel.Grading `json:"suggested_grading"`
		Narrative        string         `json:"narrative"`
		Original         string         `json:"original_narrative"`
		Corroborated     *bool          `json:"corroborated"`
		Evaluation       *struct {
			Outcome   string `json:"outcome"`
			Reference string `json:"reference"`
		} `json:"evaluation"`
	} `json:"properties"`
}

func (f *fixture) reportAs(caller, id string) (evaluatedReport, int) {
	f.t.Helper()
	r := f.json(caller, http.MethodGet, reportPath(id), nil)
	var out evaluatedReport
	if r.StatusCode == http.StatusOK {
		if err := json.Unmarshal(r.body, &out); err != nil {
			f.t.Fatal(err)
		}
	}
	return out, r.StatusCode
}

// TestEvaluationCycle follows reports of agencies that do not grade their
// own through evaluation: a pending report changes no answer (same bytes,
// same ETag); evaluated as intelligence its cell's score rises by exactly
// harm × q × decay; no further action never changes it; a duplicate of
// another agency corroborates the report it repeats and adds no report.
func TestEvaluationCycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ev := store.AuditEvent{Action: store.ActionAdmin, Actor: "test"}
	// A second agency that does not grade its own: a health service.
	health, err := f.db.CreateAgency(ctx, "Health "+uuid.NewString()[:8], "health", ev)
	if err != nil || health.SelfGrading {
		t.Fatalf("a health agency: %+v %v", health, err)
	}
	hash, _ := auth.HashPassword(password)
	nurse, err := f.db.CreateUser(ctx, store.NewUser{Username: "nurse-" + uuid.NewString()[:8], PasswordHash: hash, Role: auth.Partner, AgencyID: health.ID}, ev)
	if err != nil {
		t.Fatal(err)
	}
	f.callers["nurse"] = &caller{name: "nurse", username: nurse.Username, password: password}

	// A place of its own, away from every other test's reports.
	lat, lon := 52.33+rand.Float64()*0.05, -0.05+rand.Float64()*0.05
	cell, _ := hexgrid.Of(lat, lon, 10)
	observed := time.Now().Add(-36 * time.Hour).Truncate(time.Second)
	asOf := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	query := "?res=10&half_life=14d&as_of=" + url.QueryEscape(asOf.Format(time.RFC3339))
	cellScore := func() (score float64, reports, corroborated int, tag string, body []byte) {
		t.Helper()
		r := f.json("evaluator", http.MethodGet, "/api/v1/hotspots"+query, nil)
		var fc struct {
			Features []struct {
				ID         string `json:"id"`
				Properties struct {
					Score        float64 `json:"score"`
					Reports      int     `json:"reports"`
					Corroborated int     `json:"corroborated"`
				} `json:"properties"`
			} `json:"features"`
		}
		if r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &fc) != nil {
			t.Fatalf("hotspots: %d %s", r.StatusCode, r.body)
		}
		for _, ft := range fc.Features {
			if ft.ID == cell.String() {
				score, reports, corroborated = ft.Properties.Score, ft.Properties.Reports, ft.Properties.Corroborated
			}
		}
		return score, reports, corroborated, r.Header.Get("ETag"), r.body
	}
	submit := func(caller, ref string, grading map[string]any) string {
		t.Helper()
		r := f.json(caller, http.MethodPost, "/api/v1/reports", reportAt(ref, lat, lon, observed, grading))
		var out evaluatedReport
		if r.StatusCode != http.StatusCreated || json.Unmarshal(r.body, &out) != nil || out.Properties.Status != intel.StatusPending {
			t.Fatalf("submit as %s: %d %s", caller, r.StatusCode, r.body)
		}
		return out.ID
	}
	evaluate := func(id string, body map[string]any) evaluatedReport {
		t.Helper()
		r := f.json("evaluator", http.MethodPost, reportPath(id)+"/evaluation", body)
		var out evaluatedReport
		if r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &out) != nil {
			t.Fatalf("evaluate %v: %d %s", body, r.StatusCode, r.body)
		}
		return out
	}

	score0, reports0, _, tag0, body0 := cellScore()
	// An ungraded school report, and a graded one (its grading a suggestion).
	first := submit("school", "school-1-"+uuid.NewString()[:6], nil)
	second := submit("school", "school-2-"+uuid.NewString()[:6], map[string]any{"source": 1, "assessment": "A", "handling": "P"})
	_, _, _, tag1, body1 := cellScore()
	if tag1 != tag0 || !bytes.Equal(body0, body1) {
		t.Fatal("a report waiting for evaluation changed the hotspots")
	}
	// Visible to its agency (grading none, suggestion kept) and to evaluators; to nobody else.
	if r, st := f.reportAs("school", second); st != http.StatusOK || r.Properties.Grading != nil || r.Properties.SuggestedGrading == nil || r.Properties.SuggestedGrading.Assessment != "A" {
		t.Fatalf("the school reads its pending report: %d %+v", st, r.Properties)
	}
	for caller, want := range map[string]int{"evaluator": 200, "partner": 404, "analyst": 404, "nurse": 404} {
		if _, st := f.reportAs(caller, first); st != want {
			t.Errorf("%s reads a school's pending report: %d, want %d", caller, st, want)
		}
	}
	// The queue: oldest first, with the agency and age.
	r := f.json("evaluator", http.MethodGet, "/api/v1/evaluations?agency="+f.agencyC.ID.String(), nil)
	var queue struct {
		Features []struct {
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if json.Unmarshal(r.body, &queue) != nil || len(queue.Features) < 2 || queue.Features[0].ID != first || queue.Features[0].Properties["agency"] != f.agencyC.Name {
		t.Fatalf("the queue: %d %s", r.StatusCode, r.body)
	}

	// Intelligence, graded 1A: the cell rises by harm × q × decay exactly.
	out := evaluate(first, map[string]any{"source": 1, "assessment": "A", "handling": "P", "outcome": "intelligence",
		"narrative": "Sanitised: youths exchanging packages."})
	if out.Properties.Status != intel.StatusLive || out.Properties.Original == "" {
		t.Fatalf("evaluated: %+v", out.Properties)
	}
	score1, reports1, corr1, _, _ := cellScore()
	cat, _ := intel.CategoryByCode("drug_supply")
	want := cat.Weight * 1.0 * math.Exp2(-asOf.Sub(observed).Hours()/(14*24))
	if d := score1 - score0; math.Abs(d-want) > 1e-9*want || reports1 != reports0+1 {
		t.Fatalf("after intelligence: score +%.12g (want +%.12g), reports %d → %d", d, want, reports0, reports1)
	}
	// The school hears the outcome, not the grading, and reads what it wrote.
	if r, _ := f.reportAs("school", first); r.Properties.Evaluation == nil || r.Properties.Evaluation.Outcome != "intelligence" ||
		r.Properties.Grading != nil || strings.HasPrefix(r.Properties.Narrative, "Sanitised") {
		t.Fatalf("the school's view of its evaluated report: %+v", r.Properties)
	}
	if r, _ := f.reportAs("analyst", first); !strings.HasPrefix(r.Properties.Narrative, "Sanitised") || r.Properties.Original != "" {
		t.Fatalf("the analyst's view of the sanitised report: %+v", r.Properties)
	}

	// No further action never counts.
	evaluate(second, map[string]any{"source": 1, "assessment": "A", "handling": "P", "outcome": "no_further_action"})
	if score2, reports2, _, _, _ := cellScore(); score2 != score1 || reports2 != reports1 {
		t.Fatalf("no further action changed the cell: %g → %g, %d → %d", score1, score2, reports1, reports2)
	}

	// A health report of the same thing, a duplicate: the first is corroborated, no report added.
	dup := submit("nurse", "nurse-1-"+uuid.NewString()[:6], nil)
	evaluate(dup, map[string]any{"source": 2, "assessment": "C", "handling": "P", "outcome": "duplicate_of", "duplicate_of": first})
	score3, reports3, corr3, _, _ := cellScore()
	if r, _ := f.reportAs("analyst", first); r.Properties.Corroborated == nil || !*r.Properties.Corroborated {
		t.Fatalf("the report a duplicate repeats is not corroborated: %+v", r.Properties)
	}
	if corr3 != corr1+1 || reports3 != reports1 || score3 != score1 {
		t.Fatalf("after a duplicate: corroborated %d → %d, reports %d → %d, score %g → %g", corr1, corr3, reports1, reports3, score1, score3)
	}

	// Re-evaluation is versioned; bad evaluations name their fields.
	out2 := f.json("evaluator", http.MethodPost, reportPath(second)+"/evaluation", map[string]any{"source": 2, "assessment": "B", "handling": "P",
		"outcome": "crime_report", "reference": "CR/2026/0042"})
	var v struct {
		Properties struct {
			Version int `json:"evaluation_version"`
		} `json:"properties"`
	}
	if json.Unmarshal(out2.body, &v) != nil || v.Properties.Version != 2 {
		t.Fatalf("re-evaluation: %d %s", out2.StatusCode, out2.body)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"source": 1, "assessment": "A", "handling": "P", "outcome": "crime_report"}, "reference"},
		{map[string]any{"source": 1, "assessment": "A", "handling": "P", "outcome": "duplicate_of", "duplicate_of": dup}, "duplicate_of"},
		{map[string]any{"source": 9, "assessment": "A", "handling": "P", "outcome": "intelligence"}, "source"},
		{map[string]any{"source": 1, "assessment": "A", "handling": "P", "outcome": "maybe"}, "outcome"},
	} {
		r := f.json("evaluator", http.MethodPost, reportPath(first)+"/evaluation", bad.body)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.body), `"field":"`+bad.field+`"`) {
			t.Errorf("evaluation %v: %d %s", bad.body, r.StatusCode, r.body)
		}
	}
	// The audit says the outcome, never the narrative.
	evs, err := f.db.AuditEvents(ctx, store.AuditFilter{Action: store.ActionAlter, ObjectID: first, Limit: 10})
	if err != nil || len(evs) == 0 || strings.Contains(fmt.Sprint(evs[0].Detail), "Sanitised") || !strings.Contains(fmt.Sprintf("%s", evs[0].Detail), "intelligence") {
		t.Fatalf("the evaluation's audit event: %+v %v", evs, err)
	}

	// Feedback: the school's month equals a count in SQL, in JSON and in CSV.
	month := time.Now().In(time.UTC).Format("2006-01")
	var fb struct {
		Agencies []store.FeedbackRow `json:"agencies"`
	}
	r = f.json("school", http.MethodGet, "/api/v1/feedback?month="+month, nil)
	if r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &fb) != nil || len(fb.Agencies) != 1 {
		t.Fatalf("feedback: %d %s", r.StatusCode, r.body)
	}
	var submitted, evaluated, pending int
	if err := f.sql().QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE evaluated_at IS NOT NULL), count(*) FILTER (WHERE status = 'pending_evaluation')
		FROM reports WHERE agency_id = $1 AND to_char(created_at AT TIME ZONE 'Europe/London', 'YYYY-MM') = $2`, f.agencyC.ID, month).Scan(&submitted, &evaluated, &pending); err != nil {
		t.Fatal(err)
	}
	got := fb.Agencies[0]
	if got.Submitted != submitted || got.Evaluated != evaluated || got.Pending != pending || got.Outcomes["crime_report"] != 1 ||
		got.Outcomes["intelligence"] != 1 || got.MedianHoursToEvaluation == nil {
		t.Fatalf("feedback %+v; SQL: %d submitted, %d evaluated, %d pending", got, submitted, evaluated, pending)
	}
	if r := f.json("school", http.MethodGet, "/api/v1/feedback?agency="+f.agencyA.ID.String(), nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("a partner asked for another agency's feedback: %d", r.StatusCode)
	}
	csvBody := f.json("school", http.MethodGet, "/api/v1/feedback?format=csv&month="+month, nil).body
	path := filepath.Join(t.TempDir(), "feedback.csv")
	if err := os.WriteFile(path, csvBody, 0o644); err != nil {
		t.Fatal(err)
	}
	py, err := exec.Command("python3", "-c", `import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
print(rows[0]["agency"], rows[0]["submitted"], rows[0]["evaluated"])`, path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(py)) != fmt.Sprintf("%s %d %d", f.agencyC.Name, submitted, evaluated) {
		t.Fatalf("Python's csv module reads the feedback as %q (%v)", py, err)
	}

	// Amended by the school, the evaluated report waits for an evaluator
	// again: it stops counting, the sanitised text goes, and the school is
	// not handed the evaluator's grading as its own suggestion.
	r = f.json("school", http.MethodPatch, reportPath(first), map[string]any{"narrative": "Corrected: two pupils, not one."})
	var amended evaluatedReport
	if r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &amended) != nil || amended.Properties.Status != intel.StatusPending ||
		amended.Properties.Grading != nil || amended.Properties.SuggestedGrading != nil {
		t.Fatalf("amending an evaluated report: %d %s", r.StatusCode, r.body)
	}
	// The second report, re-evaluated as a crime report, still counts.
	if _, reports4, _, _, _ := cellScore(); reports4 != reports0+1 {
		t.Fatalf("the amended report still counts: %d reports, want %d", reports4, reports0+1)
	}
	if _, st := f.reportAs("analyst", first); st != http.StatusNotFound {
		t.Fatalf("an analyst reads the report waiting again: %d", st)
	}
	if q, _ := f.reportAs("evaluator", first); q.Properties.Original != "" || q.Properties.Narrative != "Corrected: two pupils, not one." {
		t.Fatalf("the evaluator reads %+v", q.Properties)
	}
}

// TestCorroborationFollowsCounting: reports of two agencies near in space
// and time corroborate each other, and the mark goes when the other one
// stops counting (withdrawn, or evaluated as no further action).
func TestCorroborationFollowsCounting(t *testing.T) {
	f := newFixture(t)
	lat, lon := 52.45+rand.Float64()*0.05, 0.25+rand.Float64()*0.05
	observed := time.Now().Add(-48 * time.Hour)
	grading := map[string]any{"source": 2, "assessment": "B", "handling": "P"}
	post := func(caller string, dlat float64) string {
		t.Helper()
		r := f.json(caller, http.MethodPost, "/api/v1/reports", reportAt("corr-"+uuid.NewString()[:8], lat+dlat, lon, observed, grading))
		var out evaluatedReport
		if r.StatusCode != http.StatusCreated || json.Unmarshal(r.body, &out) != nil {
			t.Fatalf("submit: %d %s", r.StatusCode, r.body)
		}
		return out.ID
	}
	corroborated := func(id string) bool {
		t.Helper()
		r, st := f.reportAs("analyst", id)
		if st != http.StatusOK || r.Properties.Corroborated == nil {
			t.Fatalf("read %s: %d", id, st)
		}
		return *r.Properties.Corroborated
	}
	a := post("partner-key", 0)
	if corroborated(a) {
		t.Fatal("a report alone is corroborated")
	}
	b := post("other-partner-key", 0.0004) // 45 m north, another agency
	if !corroborated(a) || !corroborated(b) {
		t.Fatal("two agencies' reports 45 m apart do not corroborate each other")
	}
	if r := f.json("other-partner-key", http.MethodDelete, reportPath(b), nil); r.StatusCode != http.StatusOK {
		t.Fatalf("withdraw: %d %s", r.StatusCode, r.body)
	}
	if corroborated(a) {
		t.Fatal("the mark stayed after the corroborating report was withdrawn")
	}
	far := post("other-partner-key", 0.01) // 1.1 km away
	if corroborated(a) || corroborated(far) {
		t.Fatal("reports 1.1 km apart corroborate each other")
	}
	c := post("other-partner-key", -0.0004)
	if !corroborated(a) {
		t.Fatal("a second near report does not corroborate")
	}
	if r := f.json("evaluator", http.MethodPost, reportPath(c)+"/evaluation", map[string]any{"source": 3, "assessment": "D", "handling": "P", "outcome": "no_further_action"}); r.StatusCode != http.StatusOK {
		t.Fatalf("re-evaluate: %d %s", r.StatusCode, r.body)
	}
	if corroborated(a) {
		t.Fatal("the mark stayed after the corroborating report was evaluated as no further action")
	}
}

// TestPublishedViewLearnsNothingOfEvaluation attacks the published view
// with a partner's and a chair's keys: neither corroboration nor single
// sources are published (they would tell how many agencies stand behind a
// cell), and a school's report waiting for evaluation moves no byte of
// their answers or explanations.
func TestPublishedViewLearnsNothingOfEvaluation(t *testing.T) {
	f := newFixture(t)
	loadDemo(t, f, 1500)
	top, _ := f.hotspots("partner-key", "?res=8")
	if len(top.Features) == 0 {
		t.Fatal("no hotspots")
	}
	cell := top.Features[0].ID
	answers := func() map[string][]byte {
		out := map[string][]byte{}
		for _, caller := range []string{"partner-key", "chair"} {
			for _, path := range []string{"/api/v1/hotspots?res=8", "/api/v1/hotspots/" + cell + "?res=8"} {
				r := f.json(caller, http.MethodGet, path, nil)
				if r.StatusCode != http.StatusOK && r.StatusCode != http.StatusNotFound {
					t.Fatalf("%s %s: %d %s", caller, path, r.StatusCode, r.body)
				}
				if bytes.Contains(r.body, []byte(`"corroborated"`)) || bytes.Contains(r.body, []byte(`"single_source"`)) {
					t.Fatalf("%s %s publishes corroboration: %.300s", caller, path, r.body)
				}
				out[caller+" "+path] = r.body
			}
		}
		return out
	}
	before := answers()
	// A school's report at the top cell's centre, waiting for evaluation.
	c, _ := hexgrid.Parse(cell)
	center, _ := c.Center()
	r := f.json("school", http.MethodPost, "/api/v1/reports", reportAt("published-"+uuid.NewString()[:8], center[1], center[0], time.Now().Add(-72*time.Hour), nil))
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("submit: %d %s", r.StatusCode, r.body)
	}
	for k, after := range answers() {
		if !bytes.Equal(before[k], after) {
			t.Errorf("a report waiting for evaluation changed %s", k)
		}
	}
}
