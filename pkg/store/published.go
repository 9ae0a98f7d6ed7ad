package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// spendQuerySQL records a parameter set unless the caller has spent its
// budget of the scope and day; a set asked for before costs nothing.
const spendQuerySQL = `WITH spent AS (
		SELECT count(*) AS n, bool_or(params_hash = $4) AS seen FROM published_queries
		WHERE caller = $1 AND day = $2 AND scope = $3
	), ins AS (
		INSERT INTO published_queries (caller, day, scope, params_hash)
		SELECT $1, $2, $3, $4 FROM spent WHERE n < $5 AND NOT coalesce(seen, false)
		ON CONFLICT DO NOTHING RETURNING 1
	)
	SELECT coalesce(seen, false) OR EXISTS (SELECT 1 FROM ins), EXISTS (SELECT 1 FROM ins) FROM spent`

// SpendQuery counts the parameter set hash against caller's budget of
// distinct sets in scope on day (its date, where it is): ok is false when
// the budget is spent; fresh is true when this call spent it (see
// RefundQuery). Concurrent spends of one caller and scope take turns, so
// the budget is never overdrawn.
func (db *DB) SpendQuery(ctx context.Context, caller string, day time.Time, scope string, hash []byte, budget int) (ok, fresh bool, err error) {
	err = db.booksTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1 || '|' || $2))`, caller, scope); err != nil {
			return err
		}
		return tx.QueryRow(ctx, spendQuerySQL, caller, day.Format(time.DateOnly), scope, hash, budget).Scan(&ok, &fresh)
	})
	return ok, fresh, mapErr("spend query", err)
}

// RefundQuery gives back a parameter set spent by a request that was then
// not answered.
func (db *DB) RefundQuery(ctx context.Context, caller string, day time.Time, scope string, hash []byte) error {
	_, err := db.bookkeeping().Exec(ctx, `DELETE FROM published_queries WHERE caller = $1 AND day = $2 AND scope = $3 AND params_hash = $4`,
		caller, day.Format(time.DateOnly), scope, hash)
	return mapErr("refund query", err)
}

// BudgetUse is how much of its budget of a scope a caller spent on a day.
type BudgetUse struct {
	Caller string `json:"caller"`
	Agency string `json:"agency"`
	Scope  string `json:"scope"`
	Sets   int    `json:"parameter_sets"`
}

// BudgetUses lists the callers and scopes with at least atLeast distinct
// parameter sets on day, most first.
func (db *DB) BudgetUses(ctx context.Context, day time.Time, atLeast int) ([]BudgetUse, error) {
	rows, err := db.pool.Query(ctx, `SELECT q.caller, coalesce(a.name, ''), q.scope, count(*) FROM published_queries q
		LEFT JOIN agencies a ON q.caller = 'agency:' || a.id::text WHERE q.day = $1
		GROUP BY q.caller, a.name, q.scope HAVING count(*) >= $2 ORDER BY count(*) DESC, q.caller, q.scope LIMIT 1000`, day.Format(time.DateOnly), atLeast)
	if err != nil {
		return nil, mapErr("budget uses", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[BudgetUse])
	return out, mapErr("budget uses", err)
}

// QuickWithdrawal is a report withdrawn soon after it was stored.
type QuickWithdrawal struct {
	ID          uuid.UUID `json:"id"`
	AgencyID    uuid.UUID `json:"agency_id"`
	Agency      string    `json:"agency"`
	CreatedAt   time.Time `json:"created_at"`
	WithdrawnAt time.Time `json:"withdrawn_at"`
}

// QuickWithdrawals lists the reports stored since since and withdrawn
// within within of being stored, newest first.
func (db *DB) QuickWithdrawals(ctx context.Context, since time.Time, within time.Duration) ([]QuickWithdrawal, error) {
	rows, err := db.pool.Query(ctx, `SELECT r.id, r.agency_id, a.name, r.created_at, r.updated_at
		FROM reports r JOIN agencies a ON a.id = r.agency_id
		WHERE r.status = 'withdrawn' AND r.created_at >= $1 AND r.updated_at - r.created_at <= $2
		ORDER BY r.updated_at DESC LIMIT 1000`, since, within)
	if err != nil {
		return nil, mapErr("quick withdrawals", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[QuickWithdrawal])
	return out, mapErr("quick withdrawals", err)
}
