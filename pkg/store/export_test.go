package store

import (
	"context"

	"github.com/hexwatch/hexwatch/pkg/intel"
)

// InsertReportsStaged runs the staging path of InsertReports, which the
// store takes when another transaction races it, for tests to reach.
func (db *DB) InsertReportsStaged(ctx context.Context, rs []intel.Report, ev AuditEvent) ([]Outcome, error) {
	return db.insertReports(ctx, rs, ev, true, nil)
}
