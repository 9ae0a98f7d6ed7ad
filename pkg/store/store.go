// Package store keeps hexwatch's data in PostgreSQL/PostGIS through pgx and
// applies the embedded schema migrations.
package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrUnreachable means the database did not answer.
var ErrUnreachable = errors.New("database unreachable")

// ErrSchemaBehind means the database lacks migrations the binary has.
var ErrSchemaBehind = errors.New("database schema is behind this binary")

// DB is the connection pool and every query hexwatch runs.
type DB struct {
	pool *pgxpool.Pool
	// books records what is answered (see UsePrimary); nil: pool.
	books *pgxpool.Pool
	// reportWrites counts the writes of reports made through this DB that
	// ended; writing those under way.
	reportWrites atomic.Uint64
	writing      atomic.Int64
	// corroboration is the distance and time within which counted
	// reports of different agencies corroborate each other.
	corroboration Corroboration
}

// SetCorroboration sets the distance and time of corroboration (default
// DefaultCorroboration), before the DB is used.
func (db *DB) SetCorroboration(c Corroboration) { db.corroboration = c }

// ReportWrites counts the writes of reports (stored, amended, withdrawn,
// retained, erased) made through this DB that ended, committed or not,
// and says whether one is under way: a reader that saw the count move, or
// a write under way (its rows may be visible before it is counted), must
// read the changes again.
func (db *DB) ReportWrites() (ended uint64, underWay bool) {
	return db.reportWrites.Load(), db.writing.Load() > 0
}

// reportsTx is inTx for a transaction that writes reports, counted by
// ReportWrites.
func (db *DB) reportsTx(ctx context.Context, f func(pgx.Tx) error) error {
	db.writing.Add(1)
	defer func() {
		db.reportWrites.Add(1)
		db.writing.Add(-1)
	}()
	return db.inTx(ctx, f)
}

// Open connects a pool to databaseURL. It does not wait for the database:
// the pool connects lazily and reconnects by itself after an outage.
func Open(ctx context.Context, databaseURL string, maxConns int) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("store: parse database URL: %w", err)
	}
	cfg.MaxConns = int32(maxConns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open pool: %w", err)
	}
	return &DB{pool: pool, corroboration: DefaultCorroboration}, nil
}

// ConnString is the URL the pool connects with, for a tool or a test that
// needs a connection of its own.
func (db *DB) ConnString() string { return db.pool.Config().ConnString() }

// PoolStat is what the pool holds and waits for now.
func (db *DB) PoolStat() *pgxpool.Stat { return db.pool.Stat() }

// Close closes every connection of the pool.
func (db *DB) Close() {
	db.pool.Close()
	if db.books != nil {
		db.books.Close()
	}
}

const schemaVersionSQL = `SELECT version, dirty FROM schema_migrations LIMIT 1`

// Ready reports whether the database answers and its schema is at exactly
// the binary's SchemaVersion. It returns the database's version either way.
func (db *DB) Ready(ctx context.Context) (uint, error) {
	var (
		v     int64
		dirty bool
	)
	err := db.pool.QueryRow(ctx, schemaVersionSQL).Scan(&v, &dirty)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("%w: no migration applied, want version %d", ErrSchemaBehind, SchemaVersion)
	}
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	if err := checkVersion(uint(v), dirty); err != nil {
		return uint(v), err
	}
	if uint(v) != SchemaVersion {
		return uint(v), fmt.Errorf("%w: version %d, want %d", ErrSchemaBehind, v, SchemaVersion)
	}
	return uint(v), nil
}
