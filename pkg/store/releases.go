package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Release is a stored weekly release of the published view.
type Release struct {
	Cutoff     time.Time
	ComputedAt time.Time
	// Late is true when it was computed after its cut-off's grace.
	Late bool
	Menu json.RawMessage
}

// ReleaseTable is one table of a release: the published cells of one
// resolution, window and category ("" for all), as its body encodes them.
type ReleaseTable struct {
	Res        int
	WindowDays int
	Category   string
	Cells      int
	Body       []byte
}

// ErrReleaseExists means a release of that cut-off is stored already
// (another instance computed it first): releases never change.
var ErrReleaseExists = errors.New("store: the release of that cut-off exists")

// CreateRelease stores a release, its tables and its locations' figures
// in one transaction, and the audit event of its making, unless one of its
// cut-off exists.
func (db *DB) CreateRelease(ctx context.Context, r Release, tables []ReleaseTable, locations []ReleaseLocation, ev AuditEvent) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// Instances computing the same release take turns; the second finds it stored.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7303, $1)`, int32(r.Cutoff.Unix()/86400)); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO releases (cutoff, computed_at, late, menu) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
			r.Cutoff, r.ComputedAt, r.Late, r.Menu)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrReleaseExists
		}
		rows := make([][]any, len(tables))
		for i, t := range tables {
			rows[i] = []any{r.Cutoff, int16(t.Res), int16(t.WindowDays), t.Category, int32(t.Cells), t.Body}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"release_tables"}, []string{"cutoff", "res", "window_days", "category", "cells", "body"},
			pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		for _, l := range locations {
			if _, err := tx.Exec(ctx, `INSERT INTO release_locations (cutoff, location_id, version, body) VALUES ($1, $2, $3, $4)`,
				r.Cutoff, l.LocationID, l.Version, l.Body); err != nil {
				return err
			}
		}
		ev.ObjectType, ev.ObjectID = "release", r.Cutoff.UTC().Format(time.RFC3339)
		ev.Detail = map[string]any{"late": r.Late, "tables": len(tables), "locations": len(locations)}
		return writeAudit(ctx, tx, ev)
	})
	if errors.Is(err, ErrReleaseExists) {
		return err
	}
	return mapErr("create release", err)
}

// Releases lists the stored releases, oldest first, without their tables.
func (db *DB) Releases(ctx context.Context) ([]Release, error) {
	rows, err := db.pool.Query(ctx, `SELECT cutoff, computed_at, late, menu FROM releases ORDER BY cutoff`)
	if err != nil {
		return nil, mapErr("releases", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Release])
	return out, mapErr("releases", err)
}

// ReleaseTableBody is the body of one table of the release of cutoff.
func (db *DB) ReleaseTableBody(ctx context.Context, cutoff time.Time, res, windowDays int, category string) ([]byte, error) {
	body, err := one(ctx, db.pool, `SELECT body FROM release_tables WHERE cutoff = $1 AND res = $2 AND window_days = $3 AND category = $4`,
		pgx.RowTo[[]byte], cutoff, res, windowDays, category)
	return body, mapErr("release table", err)
}

// ReleaseSize is the number of tables and bytes the release of cutoff stores.
func (db *DB) ReleaseSize(ctx context.Context, cutoff time.Time) (tables int, bytes int64, err error) {
	err = db.pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(octet_length(body)), 0) FROM release_tables WHERE cutoff = $1`, cutoff).Scan(&tables, &bytes)
	return tables, bytes, mapErr("release size", err)
}

// BackdateCounted makes the live reports of a synthetic dataset count from
// lag after they were observed, as if each had been submitted then (the
// demo, the benchmark and tests load a year in a minute): it returns how
// many changed. Real reports count from when they were stored.
func (db *DB) BackdateCounted(ctx context.Context, lag time.Duration) (int64, error) {
	var n int64
	err := db.reportsTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, seqLockSQL); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE reports SET counted_at = observed_at + $1, seq = nextval('report_seq')
			WHERE status = 'live' AND counted_at > observed_at + $1`, lag)
		n = tag.RowsAffected()
		return err
	})
	return n, mapErr("backdate counted", err)
}
