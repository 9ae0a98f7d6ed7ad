package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrReadOnly means a change was asked of a database that is a hot
// standby: changes are made on the primary.
var ErrReadOnly = errors.New("the database is a read-only standby")

// UsePrimary makes db a reader of a hot standby (its own pool) that
// writes the bookkeeping of what it answers to the primary, through a
// pool of maxConns connections to primaryURL: audit events, the use of
// API keys and sessions, the budgets of published queries. Everything
// else it reads from the standby; a change it is asked for fails with
// ErrReadOnly.
func (db *DB) UsePrimary(ctx context.Context, primaryURL string, maxConns int) error {
	cfg, err := pgxpool.ParseConfig(primaryURL)
	if err != nil {
		return fmt.Errorf("store: parse the primary's URL: %w", err)
	}
	cfg.MaxConns = int32(maxConns)
	if db.books, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return fmt.Errorf("store: open the primary's pool: %w", err)
	}
	return nil
}

// ReadsStandby says whether UsePrimary made db a reader of a standby.
func (db *DB) ReadsStandby() bool { return db.books != nil }

// bookkeeping is the pool that what db answers is recorded with: the
// primary's for a reader of a standby, db's own otherwise.
func (db *DB) bookkeeping() *pgxpool.Pool {
	if db.books != nil {
		return db.books
	}
	return db.pool
}

// booksTx runs f in a transaction of the bookkeeping pool.
func (db *DB) booksTx(ctx context.Context, f func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.bookkeeping(), f)
}

// touch records the use of a key or a session (sql, of one argument). A
// reader of a standby whose primary does not answer goes on: the use is
// recorded by the next request that reaches the primary.
func (db *DB) touch(ctx context.Context, sql string, arg any) error {
	_, err := db.bookkeeping().Exec(ctx, sql, arg)
	var pgErr *pgconn.PgError
	if err != nil && db.books != nil && !errors.As(err, &pgErr) {
		return nil
	}
	return err
}

// Replication is how a reader of a hot standby stands.
type Replication struct {
	// Streaming is true when the standby receives the primary's changes
	// as they are made and the primary answers.
	Streaming bool
	// ReplayedAt is when the last transaction the standby applied was
	// committed on the primary (nil before the first one).
	ReplayedAt *time.Time
	// PrimaryErr is why the primary did not answer.
	PrimaryErr error
}

// Replication says whether the standby db reads is current: its WAL
// receiver runs and the primary answers this process. A standby that
// lost its primary still answers, with what it had received.
func (db *DB) Replication(ctx context.Context) (Replication, error) {
	var (
		r         Replication
		receiving bool
	)
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_wal_receiver), pg_last_xact_replay_timestamp()`).
		Scan(&receiving, &r.ReplayedAt); err != nil {
		return r, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	r.PrimaryErr = db.bookkeeping().Ping(ctx)
	r.Streaming = receiving && r.PrimaryErr == nil
	return r, nil
}
