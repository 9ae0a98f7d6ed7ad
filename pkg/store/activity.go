package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// WeekCount is the reports an agency sent in one week.
type WeekCount struct {
	AgencyID uuid.UUID
	Week     time.Time // Monday 00:00, Europe/London
	Reports  int
}

// ReceivedByWeek counts the reports stored since from by agency and by the
// week (Monday, Europe/London) they were received in, whatever became of
// them since (erased ones are gone). It reads reports_created_at_idx only.
func (db *DB) ReceivedByWeek(ctx context.Context, from time.Time) ([]WeekCount, error) {
	rows, err := db.pool.Query(ctx, `SELECT agency_id, date_trunc('week', created_at AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London', count(*)
		FROM reports WHERE created_at >= $1 GROUP BY 1, 2 ORDER BY 2, 1`, from)
	if err != nil {
		return nil, mapErr("received by week", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WeekCount, error) {
		var w WeekCount
		err := r.Scan(&w.AgencyID, &w.Week, &w.Reports)
		return w, err
	})
	return out, mapErr("received by week", err)
}

// BackdateReceived makes the reports of a synthetic dataset received lag
// after they were observed, as BackdateCounted makes them count, so that
// the agencies' activity of the demo spans its year; it returns how many
// changed.
func (db *DB) BackdateReceived(ctx context.Context, lag time.Duration) (int64, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE reports SET created_at = observed_at + $1 WHERE created_at > observed_at + $1`, lag)
	return tag.RowsAffected(), mapErr("backdate received", err)
}

// KindCount is the reports received from the agencies of one kind.
type KindCount struct {
	Kind    string
	Reports int
}

// ReceivedByKind counts the reports stored from from to to (stored ones,
// whatever became of them since) by the kind of their agency, most first.
func (db *DB) ReceivedByKind(ctx context.Context, from, to time.Time) ([]KindCount, error) {
	rows, err := db.pool.Query(ctx, `SELECT a.kind, count(*) FROM reports r JOIN agencies a ON a.id = r.agency_id
		WHERE r.created_at >= $1 AND r.created_at < $2 GROUP BY 1 ORDER BY 2 DESC, 1`, from, to)
	if err != nil {
		return nil, mapErr("received by kind", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[KindCount])
	return out, mapErr("received by kind", err)
}
