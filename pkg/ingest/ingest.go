// Package ingest stores the reports of a bulk upload: it reads rows,
// validates them, and writes the valid ones in batches, each batch in one
// transaction, so that a broken upload leaves no half-written batch and
// sending the same file again completes it without duplicates.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// Issue is a row that was not created, and why.
type Issue struct {
	Row         int                `json:"row"`
	ExternalRef string             `json:"external_ref,omitempty"`
	Status      string             `json:"status"`
	ID          *uuid.UUID         `json:"id,omitempty"`
	Errors      []intel.FieldError `json:"errors,omitempty"`
}

// Rejected is the status of a row that was refused.
const Rejected = "rejected"

// Summary counts what became of an upload's rows.
type Summary struct {
	Rows      int  `json:"rows"`
	Created   int  `json:"created"`
	Duplicate int  `json:"duplicate"`
	Conflict  int  `json:"conflict"`
	Rejected  int  `json:"rejected"`
	Valid     int  `json:"valid,omitempty"`
	DryRun    bool `json:"dry_run,omitempty"`
	// Issues lists every row that was not created, up to MaxIssues.
	Issues          []Issue `json:"issues"`
	IssuesTruncated bool    `json:"issues_truncated,omitempty"`
}

func (s *Summary) issue(is Issue, max int) {
	if len(s.Issues) >= max {
		s.IssuesTruncated = true
		return
	}
	s.Issues = append(s.Issues, is)
}

// Options tune a run.
type Options struct {
	// DryRun validates every row and stores nothing.
	DryRun bool
	// BatchSize is the number of reports written per transaction.
	BatchSize int
	// MaxIssues bounds the issues listed in the summary (memory stays constant).
	MaxIssues int
	// Progress, if set, is called after every batch.
	Progress func(Summary)
}

// Defaults for Options.
const (
	DefaultBatchSize = 2000
	DefaultMaxIssues = 10000
)

// Run reads every row of rr as reports of agencyID and stores the valid
// ones. ev is the collect audit event that each batch writes. On a read or
// database error it stops: the batches written before stay, the batch in
// hand is not written, and the summary tells how far it got.
func Run(ctx context.Context, db *store.DB, v *intel.Validator, agencyID uuid.UUID, rr intel.RowReader, ev store.AuditEvent, opt Options) (Summary, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	if opt.MaxIssues <= 0 {
		opt.MaxIssues = DefaultMaxIssues
	}
	s := Summary{DryRun: opt.DryRun, Issues: []Issue{}}
	// Reports of an agency that does not grade its own wait for evaluation.
	agency, err := db.AgencyByID(ctx, agencyID)
	if err != nil {
		return s, err
	}
	var (
		cur     batch
		pending <-chan written // the batch being written while the next is read
	)
	progress := func() {
		if opt.Progress != nil {
			opt.Progress(s)
		}
	}
	// settle waits for the batch being written and counts its outcomes.
	settle := func() error {
		if pending == nil {
			return nil
		}
		w := <-pending
		pending = nil
		if w.err != nil {
			return w.err
		}
		s.account(w, opt.MaxIssues)
		progress()
		return nil
	}
	flush := func() error {
		if len(cur.reports) == 0 {
			return nil
		}
		if opt.DryRun {
			s.Valid += len(cur.reports)
			cur = batch{}
			progress()
			return nil
		}
		if err := settle(); err != nil {
			return err
		}
		pending = write(ctx, db, cur, ev)
		cur = batch{}
		return nil
	}
	finish := func(err error) (Summary, error) {
		err = errors.Join(err, settle())
		// A large load changes the table's statistics at once; the planner
		// reads them fresh rather than waiting for autovacuum (which may
		// be off, or late).
		if err == nil && s.Created >= analyzeAfter {
			err = db.AnalyzeReports(ctx)
		}
		slices.SortStableFunc(s.Issues, func(a, b Issue) int { return a.Row - b.Row })
		return s, err
	}

	for {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return finish(fmt.Errorf("ingest: row %d: %w", s.Rows+1, err))
		}
		s.Rows++
		errs := row.Errs
		var r intel.Report
		if errs == nil {
			if r, errs = v.Validate(row.Sub); errs != nil {
				r = intel.Report{}
			}
		}
		if errs != nil {
			s.Rejected++
			s.issue(Issue{Row: row.N, ExternalRef: row.Sub.ExternalRef, Status: Rejected, Errors: errs}, opt.MaxIssues)
			continue
		}
		r.ID, r.AgencyID = uuid.Must(uuid.NewV7()), agencyID
		r.Intake(agency.SelfGrading)
		cur.reports, cur.rows = append(cur.reports, r), append(cur.rows, row.N)
		if len(cur.reports) == opt.BatchSize {
			if err := flush(); err != nil {
				return finish(err)
			}
		}
	}
	return finish(flush())
}

// analyzeAfter is how many reports an upload creates before the table's
// statistics are gathered again.
const analyzeAfter = 1000

// batch is a batch of valid reports and the rows they came from.
type batch struct {
	reports []intel.Report
	rows    []int
}

// written is a batch after its transaction.
type written struct {
	batch
	outcomes []store.Outcome
	err      error
}

// write stores a batch in the background: reading and validating the next
// batch overlaps the database's work on this one.
func write(ctx context.Context, db *store.DB, b batch, ev store.AuditEvent) <-chan written {
	ch := make(chan written, 1)
	go func() {
		out, err := db.InsertReports(ctx, b.reports, ev)
		ch <- written{b, out, err}
	}()
	return ch
}

// account counts the outcomes of a written batch.
func (s *Summary) account(w written, maxIssues int) {
	for i, o := range w.outcomes {
		switch o.Status {
		case store.Created:
			s.Created++
			continue
		case store.Duplicate:
			s.Duplicate++
		case store.Conflict:
			s.Conflict++
		}
		id := o.ID
		is := Issue{Row: w.rows[i], ExternalRef: w.reports[i].ExternalRef, Status: o.Status, ID: &id}
		if o.Status == store.Conflict {
			is.Errors = []intel.FieldError{{Field: "external_ref", Message: "already used by your agency for a report with other content"}}
		}
		s.issue(is, maxIssues)
	}
}
