package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// TestEvaluateReportsAsOneByOne evaluates the same reports twice, in two
// places 3 km apart (corroboration reaches 150 m): one by one in the first,
// in batches in the second. Every report ends in the same state in both,
// its corroboration mark among it, and the marks are those of their
// definition (a counted report of another agency within 150 m and 7 days,
// or another agency's duplicate of it). A batch with a withdrawn report,
// or with a report twice, writes nothing.
func TestEvaluateReportsAsOneByOne(t *testing.T) {
	db := storetest.OwnDB(t)
	ctx := context.Background()
	ev := store.AuditEvent{Action: store.ActionCollect, Actor: "test"}
	var agencies []uuid.UUID
	for i := range 3 {
		a, err := db.CreateAgency(ctx, fmt.Sprintf("Batch agency %d", i), "local_authority", ev)
		if err != nil {
			t.Fatal(err)
		}
		agencies = append(agencies, a.ID)
	}
	// Two copies of 150 reports within 400 m and 20 days, a third counted.
	rng := rand.New(rand.NewPCG(3, 5))
	const n = 150
	type spec struct {
		agency     int
		dlat, dlon float64
		hours      int
		live       bool
	}
	specs := make([]spec, n)
	for i := range specs {
		specs[i] = spec{rng.IntN(3), rng.Float64() * 0.0036, rng.Float64() * 0.0058, rng.IntN(20 * 24), rng.Float64() < 0.3}
	}
	copies := [2][]intel.Report{}
	for c, lon := range []float64{0.05, 0.10} {
		for i, s := range specs {
			r := validReportAt(t, agencies[s.agency], fmt.Sprintf("copy%d-%03d", c, i), "drug_supply", 52.30+s.dlat, lon+s.dlon,
				time.Now().Add(-time.Duration(s.hours+2)*time.Hour).UTC().Format(time.RFC3339))
			if !s.live {
				r.Status, r.Grading = intel.StatusPending, intel.Unevaluated
			}
			copies[c] = append(copies[c], r)
		}
		if _, err := db.InsertReports(ctx, copies[c], ev); err != nil {
			t.Fatal(err)
		}
	}
	// Every waiting report, and a fifth of the counted ones again, with
	// every outcome; duplicates repeat a counted report that stays as it is.
	outcomes := []string{intel.OutcomeIntelligence, intel.OutcomeIntelligence, intel.OutcomeSafeguarding, intel.OutcomeNFA, intel.OutcomeDuplicate}
	type decision struct {
		i         int
		outcome   string
		duplicate int
	}
	var plan []decision
	var untouched []int
	for i, s := range specs {
		switch {
		case !s.live || rng.Float64() < 0.2:
			plan = append(plan, decision{i: i, outcome: outcomes[rng.IntN(len(outcomes))], duplicate: -1})
		default:
			untouched = append(untouched, i)
		}
	}
	for k := range plan {
		if plan[k].outcome == intel.OutcomeDuplicate {
			plan[k].duplicate = untouched[rng.IntN(len(untouched))]
		}
	}
	rng.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	evaluation := func(c int, d decision) store.Evaluation {
		e := store.Evaluate{Grading: intel.Grading{Source: 2, Assessment: "B", Handling: "P"}, Outcome: d.outcome, Actor: "evaluator"}
		if d.duplicate >= 0 {
			id := copies[c][d.duplicate].ID
			e.DuplicateOf = &id
		}
		return store.Evaluation{ID: copies[c][d.i].ID, Evaluate: e, Event: store.AuditEvent{Action: store.ActionAlter, Actor: "evaluator"}}
	}
	for _, d := range plan {
		x := evaluation(0, d)
		if _, err := db.EvaluateReport(ctx, x.ID, x.Evaluate, x.Event); err != nil {
			t.Fatal(err)
		}
	}
	var batch []store.Evaluation
	for k, d := range plan {
		batch = append(batch, evaluation(1, d))
		if len(batch) == 40 || k == len(plan)-1 {
			if _, err := db.EvaluateReports(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}

	sql := storetest.SQL(t, db)
	type state struct {
		Status, Outcome           string
		Corroborated, Defined     bool
		Version, Source, Evaluate int
	}
	states := map[string]state{}
	rows, err := sql.Query(ctx, `SELECT r.external_ref, r.status, coalesce(r.outcome, ''), r.corroborated,
			EXISTS (SELECT 1 FROM reports o WHERE o.agency_id <> r.agency_id AND o.status = 'live'
				AND ST_DWithin(o.geom::geography, r.geom::geography, 150) AND abs(extract(epoch FROM o.observed_at - r.observed_at)) <= 7 * 86400)
			OR EXISTS (SELECT 1 FROM reports d WHERE d.duplicate_of = r.id AND d.agency_id <> r.agency_id AND d.status = 'not_counted'),
			(SELECT coalesce(max(version), 0) FROM evaluations WHERE report_id = r.id), r.source,
			(SELECT count(*) FROM audit_events WHERE object_id = r.id::text AND actor = 'evaluator')
		FROM reports r WHERE r.agency_id = ANY($1)`, agencies)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ref string
		var s state
		if err := rows.Scan(&ref, &s.Status, &s.Outcome, &s.Corroborated, &s.Defined, &s.Version, &s.Source, &s.Evaluate); err != nil {
			t.Fatal(err)
		}
		states[ref] = s
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	marked := 0
	for i := range specs {
		one, two := states[fmt.Sprintf("copy0-%03d", i)], states[fmt.Sprintf("copy1-%03d", i)]
		if one != two {
			t.Errorf("report %d: one by one %+v, in batches %+v", i, one, two)
		}
		for c, s := range []state{one, two} {
			live := s.Status == intel.StatusLive
			if s.Corroborated != (live && s.Defined) {
				t.Errorf("copy %d, report %d: corroborated %v, by its definition %v (%s)", c, i, s.Corroborated, live && s.Defined, s.Status)
			}
		}
		if one.Corroborated {
			marked++
		}
	}
	if marked < 20 || marked > n-20 {
		t.Fatalf("%d of %d reports corroborated: the test says little", marked, n)
	}

	// The only two reports that corroborate a third stop counting in one
	// batch: the third loses its mark, though each had the other beside it.
	var trio []intel.Report
	for i := range 3 {
		trio = append(trio, validReportAt(t, agencies[i], fmt.Sprintf("trio-%d", i), "drug_supply", 52.30+0.0004*float64(i), 0.15, observedAt))
	}
	if _, err := db.InsertReports(ctx, trio, ev); err != nil {
		t.Fatal(err)
	}
	nfa := func(r intel.Report) store.Evaluation {
		return store.Evaluation{ID: r.ID, Evaluate: store.Evaluate{Grading: intel.Grading{Source: 3, Assessment: "D", Handling: "P"},
			Outcome: intel.OutcomeNFA, Actor: "evaluator"}, Event: store.AuditEvent{Action: store.ActionAlter, Actor: "evaluator"}}
	}
	if _, err := db.EvaluateReports(ctx, []store.Evaluation{nfa(trio[1]), nfa(trio[2])}); err != nil {
		t.Fatal(err)
	}
	var still bool
	if err := sql.QueryRow(ctx, `SELECT corroborated FROM reports WHERE id = $1`, trio[0].ID).Scan(&still); err != nil || still {
		t.Errorf("the report kept its mark after both reports near it stopped counting (%v)", err)
	}

	// All or nothing.
	var before int
	if err := sql.QueryRow(ctx, `SELECT count(*) FROM evaluations`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	gone := copies[1][plan[0].i]
	if _, err := db.WithdrawReport(ctx, gone.ID, store.AuditEvent{Action: store.ActionAlter, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EvaluateReports(ctx, []store.Evaluation{evaluation(1, plan[1]), evaluation(1, plan[0])}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a batch with a withdrawn report: %v, want a conflict", err)
	}
	if _, err := db.EvaluateReports(ctx, []store.Evaluation{evaluation(1, plan[1]), evaluation(1, plan[1])}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a batch with a report twice: %v, want a conflict", err)
	}
	var after int
	if err := sql.QueryRow(ctx, `SELECT count(*) FROM evaluations`).Scan(&after); err != nil || after != before {
		t.Errorf("refused batches left %d evaluations, %d before (%v)", after, before, err)
	}
	t.Logf("%d evaluations in each place, %d of %d reports corroborated", len(plan), marked, n)
}
