package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hexwatch/hexwatch/pkg/intel"
)

// RetainReport records a decision to keep a report until a new review
// date, with its reason, and audits it as an alteration.
func (db *DB) RetainReport(ctx context.Context, id uuid.UUID, reason string, reviewAt time.Time, ev AuditEvent) (intel.Report, error) {
	var out intel.Report
	err := db.reportsTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, seqLockSQL); err != nil {
			return err
		}
		var previous time.Time
		err := tx.QueryRow(ctx, `UPDATE reports r SET review_at = $2, seq = nextval('report_seq'), updated_at = now()
			FROM (SELECT id, review_at FROM reports WHERE id = $1 FOR UPDATE) old
			WHERE r.id = old.id RETURNING old.review_at`, id, reviewAt).Scan(&previous)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO retention_decisions (report_id, decided_by, reason, previous_review_at, review_at)
			VALUES ($1, $2, $3, $4, $5)`, id, ev.Actor, reason, previous, reviewAt); err != nil {
			return err
		}
		if out, err = reportTx(ctx, tx, id); err != nil {
			return err
		}
		ev.ObjectType, ev.ObjectID, ev.Justification = "report", id.String(), reason
		ev.Detail = map[string]any{"retain": map[string]any{"previous_review_at": previous, "review_at": reviewAt}}
		return writeAudit(ctx, tx, ev)
	})
	return out, mapErr("retain report", err)
}

// PurgeReason is the justification of erasures by the retention purge.
const PurgeReason = "review date passed without a decision to retain"

// PurgeDue erases, one by one, up to limit reports whose review date is
// before now, each with an erase audit event that holds no content. It
// returns how many it erased.
func (db *DB) PurgeDue(ctx context.Context, now time.Time, limit int, ev AuditEvent) (int, error) {
	rows, err := db.pool.Query(ctx, `SELECT id FROM reports WHERE review_at < $1 ORDER BY review_at LIMIT $2`, now, limit)
	if err != nil {
		return 0, mapErr("due reports", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, mapErr("due reports", err)
	}
	ev.Action, ev.Justification = ActionErase, PurgeReason
	for i, id := range ids {
		if err := db.EraseReport(ctx, id, ev); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}
