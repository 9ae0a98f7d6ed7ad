package server_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/demo"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// BenchmarkEvaluationQueue measures the evaluation queue's page (the 200
// oldest of 10,000 reports waiting for evaluation, as the web page asks
// for it), and beside it the same reports as their agency lists them by
// GET /api/v1/reports, as the baseline, on a database of its own:
//
//	go test -run '^$' -bench EvaluationQueue -benchtime 50x ./pkg/server
func BenchmarkEvaluationQueue(b *testing.B) {
	f := newFixtureOn(b, storetest.OwnDB(b))
	gen := demo.New(7, 10_000, 1, time.Now(), f.validator.Area)
	rs := make([]intel.Report, 0, 10_000)
	for {
		r, err := gen.Next()
		if err != nil {
			break
		}
		rep, errs := f.validator.Validate(r.Sub)
		if errs != nil {
			b.Fatal(errs)
		}
		rep.ID, rep.AgencyID = uuid.Must(uuid.NewV7()), f.agencyC.ID
		rep.Intake(false)
		rs = append(rs, rep)
	}
	for i := 0; i < len(rs); i += 2000 {
		if _, err := f.db.InsertReports(context.Background(), rs[i:min(i+2000, len(rs))], store.AuditEvent{Action: store.ActionCollect, Actor: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []struct{ name, caller, path string }{
		{"queue", "evaluator", "/api/v1/evaluations?limit=200"},
		// The same 200 reports as the school that sent them lists them.
		{"baseline-own-reports", "school", "/api/v1/reports?limit=200&status=pending_evaluation"},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if r := f.json(q.caller, http.MethodGet, q.path, nil); r.StatusCode != http.StatusOK {
					b.Fatal(fmt.Sprint(r.StatusCode))
				}
			}
		})
	}
}
