package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/demo"
	"github.com/hexwatch/hexwatch/pkg/identity"
	"github.com/hexwatch/hexwatch/pkg/ingest"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// The demo's agencies and users are fictional and labelled as such.
var (
	// Police and the council grade their own reports; the schools and the
	// charity send theirs for evaluation.
	demoAgencies = []struct {
		name, kind  string
		selfGrading bool
	}{
		{"DEMO Police", "police", true},
		{"DEMO City Council", "local_authority", true},
		{"DEMO Schools Partnership", "education", false},
		{"DEMO Health Trust", "health", true},
		{"DEMO Youth Justice Service", "youth_justice", true},
		{"DEMO Outreach Charity", "voluntary", false},
	}
	demoUsers = []struct {
		username string
		role     auth.Role
		agency   string
	}{
		{"demo-partner", auth.Partner, "DEMO City Council"},
		{"demo-analyst", auth.Analyst, "DEMO Police"},
		{"demo-chair", auth.Chair, "DEMO City Council"},
		{"demo-admin", auth.Admin, "DEMO Police"},
		{"demo-evaluator", auth.Evaluator, "DEMO Police"},
		{"demo-school", auth.Partner, "DEMO Schools Partnership"},
	}
)

// defaultDemoReports is what `hexwatch demo` loads into an empty database.
const defaultDemoReports = 20000

// demoCmd loads the DEMO identities, prints the users' credentials, and loads
// DEMO reports through the ingestion code: into an empty database, or
// whenever --reports is given.
func demoCmd(ctx context.Context, env *environment, args []string) error {
	fs := flagSet(env, "demo")
	n := fs.Int("reports", defaultDemoReports, "number of synthetic reports")
	seed := fs.Uint64("seed", 1, "seed of the synthetic dataset: the same seed gives the same reports")
	cfg, pos, err := loadInterspersed(fs, args, env)
	if err != nil {
		return err
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "reports" })
	if err := wantArgs(pos, 0, "no arguments besides flags"); err != nil {
		return err
	}
	db, err := openCurrent(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	op := &operator{env: env, db: db, actor: operatorName()}
	if err := op.demoIdentities(ctx); err != nil {
		return err
	}
	count, err := db.ReportCount(ctx)
	if err != nil {
		return err
	}
	if count > 0 && !explicit {
		fmt.Fprintf(env.stderr, "the database holds %d reports: no DEMO reports loaded (give --reports N to load some)\n", count)
		return nil
	}
	v, err := newValidator(cfg)
	if err != nil {
		return err
	}
	return op.demoReports(ctx, v, *n, *seed)
}

// demoReports posts the synthetic dataset, agency by agency, through the
// same ingestion code as the bulk endpoint.
func (op *operator) demoReports(ctx context.Context, v *intel.Validator, n int, seed uint64) error {
	anchor := time.Now()
	bar := newProgress(op.env.stderr, fmt.Sprintf("DEMO reports (seed %d)", seed))
	var total ingest.Summary
	for i, a := range demoAgencies {
		agency, err := op.db.AgencyByName(ctx, a.name)
		if err != nil {
			return err
		}
		rows := &demo.AgencyRows{Gen: demo.New(seed, n, len(demoAgencies), anchor, v.Area), Agency: i}
		done := total
		ev := op.event(store.ActionCollect)
		ev.AgencyID, ev.Justification = &agency.ID, "DEMO synthetic dataset"
		s, err := ingest.Run(ctx, op.db, v, agency.ID, rows, ev, ingest.Options{Progress: func(s ingest.Summary) {
			bar.show(add(done, s), float64(done.Rows+s.Rows)/float64(n))
		}})
		total = add(total, s)
		if err != nil {
			return err
		}
	}
	bar.done(total)
	if total.Rejected > 0 {
		return fmt.Errorf("%d DEMO reports were rejected", total.Rejected)
	}
	if err := op.demoEvaluations(ctx, seed); err != nil {
		return err
	}
	if err := op.demoLocationsLoad(ctx, v); err != nil {
		return err
	}
	// The year was loaded in a minute: for the weekly releases, each
	// synthetic report counts as if sent and evaluated when it happened.
	backdated, err := op.db.BackdateCounted(ctx, demoReportingLag)
	if err != nil {
		return err
	}
	received, err := op.db.BackdateReceived(ctx, demoReportingLag)
	if err == nil {
		fmt.Fprintf(op.env.stderr, "DEMO reports count from %s after they were observed (%d), and were received then (%d)\n", demoReportingLag, backdated, received)
	}
	return err
}

// demoReportingLag is how long after observing it a DEMO report counts.
const demoReportingLag = 48 * time.Hour

// demoEvaluationBatch is how many DEMO evaluations share a transaction.
const demoEvaluationBatch = 250

// demoEvaluations evaluates most of the waiting reports observed more than
// a fortnight ago, with every outcome, as the DEMO evaluator; the recent
// ones stay in the queue.
func (op *operator) demoEvaluations(ctx context.Context, seed uint64) error {
	pending, err := op.db.PendingReports(ctx, store.PendingFilter{Limit: 1 << 20})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 17))
	cutoff := time.Now().AddDate(0, 0, -14)
	var due []intel.Report
	for _, r := range pending {
		if r.ObservedAt.Before(cutoff) && rng.Float64() < 0.85 {
			due = append(due, r)
		}
	}
	outcomes := []struct {
		outcome string
		upTo    float64
	}{{intel.OutcomeIntelligence, 0.6}, {intel.OutcomeSafeguarding, 0.7}, {intel.OutcomeCrimeReport, 0.8}, {intel.OutcomeNFA, 0.95}, {intel.OutcomeDuplicate, 1}}
	start := time.Now()
	var batch []store.Evaluation
	for i, r := range due {
		e := store.Evaluate{Grading: intel.Grading{Source: 2, Assessment: "B", Handling: "P"}, Actor: "demo-evaluator"}
		if r.SuggestedGrading != nil {
			e.Grading = *r.SuggestedGrading
		}
		u := rng.Float64()
		for _, o := range outcomes {
			if u < o.upTo {
				e.Outcome = o.outcome
				break
			}
		}
		switch e.Outcome {
		case intel.OutcomeSafeguarding, intel.OutcomeCrimeReport:
			e.Reference = fmt.Sprintf("DEMO-%05d", i+1)
		case intel.OutcomeDuplicate:
			// The reports evaluated here were waiting: none is the
			// counted report that another of the batch repeats.
			other, err := op.db.NearestCounted(ctx, r.ID)
			if err != nil {
				e.Outcome = intel.OutcomeIntelligence
				break
			}
			e.DuplicateOf = &other
		}
		ev := op.event(store.ActionAlter)
		ev.Justification = "DEMO synthetic dataset"
		batch = append(batch, store.Evaluation{ID: r.ID, Evaluate: e, Event: ev})
		// Evaluations in batches: one commit each would be most of their cost.
		if len(batch) == demoEvaluationBatch || i == len(due)-1 {
			if _, err := op.db.EvaluateReports(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
			fmt.Fprintf(op.env.stderr, "\rDEMO evaluations: %5.1f%% (%d of %d)", 100*float64(i+1)/float64(len(due)), i+1, len(due))
		}
	}
	took := time.Since(start)
	fmt.Fprintf(op.env.stderr, "\rDEMO evaluations: %d evaluated in %s (%.0f a second), %d left in the queue\n", len(due),
		took.Round(time.Millisecond), float64(len(due))/max(took.Seconds(), 1e-9), len(pending)-len(due))
	return nil
}

func add(a, b ingest.Summary) ingest.Summary {
	a.Rows += b.Rows
	a.Created += b.Created
	a.Duplicate += b.Duplicate
	a.Conflict += b.Conflict
	a.Rejected += b.Rejected
	return a
}

// demoIdentities makes sure the demo agencies and users exist and gives
// each demo user a fresh password, printed on stdout.
func (op *operator) demoIdentities(ctx context.Context) error {
	for _, a := range demoAgencies {
		_, err := identity.AddAgency(ctx, op.db, a.name, a.kind, op.event(store.ActionAdmin))
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
		stored, err := op.db.AgencyByName(ctx, a.name)
		if err != nil {
			return err
		}
		if stored.SelfGrading != a.selfGrading {
			if err := op.db.SetSelfGrading(ctx, stored.ID, a.selfGrading, op.event(store.ActionAdmin)); err != nil {
				return err
			}
		}
	}
	fmt.Fprintln(op.env.stderr, "DEMO users (synthetic demonstration accounts; never use them with real intelligence):")
	for _, u := range demoUsers {
		existing, err := op.db.UserByName(ctx, u.username)
		var pw string
		switch {
		case errors.Is(err, store.ErrNotFound):
			_, pw, err = identity.AddUser(ctx, op.db, identity.NewUser{Username: u.username, Role: u.role, Agency: u.agency}, op.event(store.ActionAdmin))
			if err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			pw = auth.NewPassword()
			hash, err := identity.HashNewPassword(pw)
			if err != nil {
				return err
			}
			if _, err := op.db.UpdateUser(ctx, existing.ID, store.UserChange{PasswordHash: &hash}, op.event(store.ActionAdmin)); err != nil {
				return err
			}
		}
		fmt.Fprintf(op.env.stdout, "%-9s %-14s %s\n", u.role, u.username, pw)
	}
	return nil
}
