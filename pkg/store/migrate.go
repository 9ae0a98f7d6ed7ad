package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // registers pgx5://
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"

	"github.com/hexwatch/hexwatch/migrations"
)

// ErrSchemaTooNew means the database was migrated by a newer hexwatch.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary knows")

// ErrSchemaDirty means a migration failed half-way and needs an operator.
var ErrSchemaDirty = errors.New("database schema is dirty: a migration failed half-way")

// SchemaVersion is the version of the newest migration embedded in the binary.
var SchemaVersion = latestVersion(migrations.FS)

func latestVersion(fsys fs.FS) uint {
	src, err := iofs.New(fsys, ".")
	if err != nil {
		panic(fmt.Sprintf("store: embedded migrations: %v", err))
	}
	defer src.Close()
	v, err := src.First()
	if err != nil {
		panic(fmt.Sprintf("store: embedded migrations: %v", err))
	}
	for {
		next, err := src.Next(v)
		if err != nil {
			return v
		}
		v = next
	}
}

// Migrator applies the embedded migrations to one database, as the owner
// of its schema, and keeps AppRole's grants up to date.
type Migrator struct {
	m              *migrate.Migrate
	ownerURL, apps string
}

// NewMigrator opens a migrator on the database at databaseURL (postgres://,
// the schema owner's).
func NewMigrator(databaseURL string) (*Migrator, error) {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("store: migrations source: %w", err)
	}
	m, err := migrate.NewWithSourceInstance("iofs", src, pgx5URL(databaseURL))
	if err != nil {
		return nil, fmt.Errorf("store: open migrator: %w", err)
	}
	return &Migrator{m: m, ownerURL: databaseURL}, nil
}

// ForApp names the URL the server will use: when it is AppRole's with a
// password, Up gives the role that password.
func (mg *Migrator) ForApp(appURL string) { mg.apps = appURL }

// pgx5URL turns a postgres:// URL into the scheme golang-migrate's pgx/v5
// driver registers.
func pgx5URL(u string) string {
	for _, p := range []string{"postgresql://", "postgres://"} {
		if strings.HasPrefix(u, p) {
			return "pgx5://" + strings.TrimPrefix(u, p)
		}
	}
	return u
}

// Close releases the migrator's connection.
func (mg *Migrator) Close() error {
	srcErr, dbErr := mg.m.Close()
	return errors.Join(srcErr, dbErr)
}

// Version reports the database's schema version; 0 when none is applied.
func (mg *Migrator) Version() (version uint, dirty bool, err error) {
	v, dirty, err := mg.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: schema version: %w", err)
	}
	return v, dirty, nil
}

// Check refuses a database that is dirty or newer than SchemaVersion.
func (mg *Migrator) Check() error {
	v, dirty, err := mg.Version()
	if err != nil {
		return err
	}
	return checkVersion(v, dirty)
}

func checkVersion(v uint, dirty bool) error {
	if dirty {
		return fmt.Errorf("%w (version %d)", ErrSchemaDirty, v)
	}
	if v > SchemaVersion {
		return fmt.Errorf("%w: database at %d, binary at %d", ErrSchemaTooNew, v, SchemaVersion)
	}
	return nil
}

// Up applies every pending migration. It refuses a schema newer than the binary.
func (mg *Migrator) Up() error {
	if err := mg.Check(); err != nil {
		return err
	}
	if err := mg.m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("store: migrate up: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if err := grantAppRole(ctx, mg.ownerURL, mg.apps); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, mg.ownerURL)
	if err != nil {
		return fmt.Errorf("store: place reports: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := backfillCells(ctx, conn); err != nil {
		return fmt.Errorf("store: place reports: %w", err)
	}
	return nil
}

// Down reverts the newest n migrations.
func (mg *Migrator) Down(n int) error {
	if n < 1 {
		return errors.New("store: migrate down: n must be at least 1")
	}
	if err := mg.Check(); err != nil {
		return err
	}
	if err := mg.m.Steps(-n); err != nil {
		return fmt.Errorf("store: migrate down %d: %w", n, err)
	}
	return nil
}
