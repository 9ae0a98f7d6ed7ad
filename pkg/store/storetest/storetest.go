// Package storetest gives each test package its own throwaway PostGIS
// database, cloned from a migrated template, so packages test in parallel
// against a real database.
//
// A package that uses it calls Run from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(storetest.Run(m)) }
//
// The server is HEXWATCH_TEST_DATABASE_URL (default DefaultAdminURL). When it
// cannot be reached the tests fail and say how to start it: nothing is skipped.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hexwatch/hexwatch/migrations"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// DefaultAdminURL is the maintenance database of the local test server.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

const howToStart = "start PostGIS with `make db` (or set HEXWATCH_TEST_DATABASE_URL to a PostgreSQL server with PostGIS available)"

var pkg struct {
	sync.Mutex
	running bool
	name    string
	url     string
	db      *store.DB
	err     error
}

// pools are the pools SQL opened, by connection string.
var pools sync.Map

// SQL is a pool of the test's own on the database of db, as the same role,
// for the statements no store method offers (a test reading or breaking
// what the store would not). Pools are closed when the package's tests end.
func SQL(t testing.TB, db *store.DB) *pgxpool.Pool {
	t.Helper()
	if p, ok := pools.Load(db.ConnString()); ok {
		return p.(*pgxpool.Pool)
	}
	p, err := pgxpool.New(context.Background(), db.ConnString())
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	if old, loaded := pools.LoadOrStore(db.ConnString(), p); loaded {
		p.Close()
		return old.(*pgxpool.Pool)
	}
	return p
}

// Run runs the package's tests and drops its database afterwards.
func Run(m *testing.M) int {
	pkg.running = true
	code := m.Run()
	pools.Range(func(_, p any) bool {
		p.(*pgxpool.Pool).Close()
		return true
	})
	pkg.Lock()
	defer pkg.Unlock()
	if pkg.db != nil {
		pkg.db.Close()
	}
	if pkg.name != "" {
		if err := dropDatabase(pkg.name); err != nil {
			fmt.Fprintf(os.Stderr, "storetest: %v\n", err)
		}
	}
	return code
}

// SkipShort skips a test that needs PostgreSQL in short mode (go test
// -short, as make check runs): the fast loop runs only what needs neither
// a database nor a browser.
func SkipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL with PostGIS: make test runs it")
	}
}

// AdminURL is the URL of the test server's maintenance database.
func AdminURL() string {
	if u := os.Getenv("HEXWATCH_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultAdminURL
}

// URL returns the URL of the package's migrated database, as its owner,
// creating it on first use.
func URL(t testing.TB) string {
	t.Helper()
	SkipShort(t)
	pkg.Lock()
	defer pkg.Unlock()
	if !pkg.running {
		t.Fatal("storetest: call storetest.Run from TestMain")
	}
	if pkg.url == "" && pkg.err == nil {
		pkg.name, pkg.err = cloneTemplate()
		if pkg.err == nil {
			pkg.url = withDatabase(AdminURL(), pkg.name)
		}
	}
	if pkg.err != nil {
		t.Fatalf("storetest: %v\n%s", pkg.err, howToStart)
	}
	return pkg.url
}

// AppURL is URL(t) as the service's own role (store.AppRole), which
// migrating the template created and granted.
func AppURL(t testing.TB) string {
	t.Helper()
	u, err := url.Parse(URL(t))
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	u.User = url.User(store.AppRole)
	return u.String()
}

// DB returns a pool on the package's migrated database, connected as the
// service's own role: tests see what the server may and may not do.
func DB(t testing.TB) *store.DB {
	t.Helper()
	u := AppURL(t)
	pkg.Lock()
	defer pkg.Unlock()
	if pkg.db == nil {
		db, err := store.Open(context.Background(), u, 10)
		if err != nil {
			t.Fatalf("storetest: %v", err)
		}
		pkg.db = db
	}
	return pkg.db
}

// OwnDB is a migrated database for this test alone (cloned from the
// template), as the service's own role; it is dropped when the test ends.
// A test whose figures must not depend on what other tests stored uses it.
func OwnDB(t testing.TB) *store.DB {
	t.Helper()
	URL(t) // builds the template if need be
	name := "hexwatch_test_" + randomSuffix()
	err := withAdmin(func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
			pgx.Identifier{name}.Sanitize(), pgx.Identifier{"hexwatch_template_" + migrationsHash()}.Sanitize()))
		return err
	})
	if err != nil {
		t.Fatalf("storetest: own database: %v", err)
	}
	u, _ := url.Parse(withDatabase(AdminURL(), name))
	u.User = url.User(store.AppRole)
	db, err := store.Open(context.Background(), u.String(), 10)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		if p, ok := pools.LoadAndDelete(db.ConnString()); ok {
			p.(*pgxpool.Pool).Close()
		}
		db.Close()
		if err := dropDatabase(name); err != nil {
			t.Errorf("storetest: %v", err)
		}
	})
	return db
}

// EmptyDatabase creates an unmigrated database for this test alone and
// returns its URL; it is dropped when the test ends.
func EmptyDatabase(t testing.TB) string {
	t.Helper()
	SkipShort(t)
	name := "hexwatch_test_" + randomSuffix()
	err := withAdmin(func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
		return err
	})
	if err != nil {
		t.Fatalf("storetest: create database: %v\n%s", err, howToStart)
	}
	t.Cleanup(func() {
		if err := dropDatabase(name); err != nil {
			t.Errorf("storetest: %v", err)
		}
	})
	return withDatabase(AdminURL(), name)
}

// cloneTemplate makes sure a template migrated to the embedded migrations
// exists and clones a new database from it.
func cloneTemplate() (string, error) {
	tmpl := "hexwatch_template_" + migrationsHash()
	name := "hexwatch_test_" + randomSuffix()
	err := withAdmin(func(ctx context.Context, conn *pgx.Conn) error {
		// Test packages run as parallel processes: one builds the template.
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7301)"); err != nil {
			return err
		}
		defer func() { _, _ = conn.Exec(context.Background(), "SELECT pg_advisory_unlock(7301)") }()
		var ready bool
		err := conn.QueryRow(ctx, `SELECT coalesce(shobj_description(oid, 'pg_database') = 'ready', false)
			FROM pg_database WHERE datname = $1`, tmpl).Scan(&ready)
		if err != nil && err != pgx.ErrNoRows {
			return err
		}
		if !ready {
			if err := buildTemplate(ctx, conn, tmpl); err != nil {
				return err
			}
		}
		_, err = conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
			pgx.Identifier{name}.Sanitize(), pgx.Identifier{tmpl}.Sanitize()))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("clone template: %w", err)
	}
	return name, nil
}

func buildTemplate(ctx context.Context, conn *pgx.Conn, tmpl string) error {
	// Templates of earlier migration sets are no longer needed.
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'hexwatch\_template\_%'`)
	if err != nil {
		return err
	}
	old, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, name := range old {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return err
		}
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{tmpl}.Sanitize()); err != nil {
		return err
	}
	mg, err := store.NewMigrator(withDatabase(AdminURL(), tmpl))
	if err != nil {
		return err
	}
	upErr := mg.Up()
	if err := mg.Close(); err != nil && upErr == nil {
		upErr = err
	}
	if upErr != nil {
		return fmt.Errorf("migrate template: %w", upErr)
	}
	_, err = conn.Exec(ctx, "COMMENT ON DATABASE "+pgx.Identifier{tmpl}.Sanitize()+" IS 'ready'")
	return err
}

func dropDatabase(name string) error {
	return withAdmin(func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		if err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	})
}

func withAdmin(f func(context.Context, *pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return fmt.Errorf("PostgreSQL not reachable at %s: %w", redact(AdminURL()), err)
	}
	defer conn.Close(context.Background())
	return f(ctx, conn)
}

// migrationsHash names the template after the migrations it holds, so a
// changed migration builds a new template.
func migrationsHash() string {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		panic(err)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func randomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func withDatabase(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(fmt.Sprintf("storetest: bad URL: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}

func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// OwnerSQL is a pool on the database of db as the role that owns its
// schema, for a test that must do what no role of the service may (move
// back in time what is kept as written). It is closed when the test ends.
func OwnerSQL(t testing.TB, db *store.DB) *pgxpool.Pool {
	t.Helper()
	u, err := url.Parse(db.ConnString())
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	p, err := pgxpool.New(context.Background(), withDatabase(AdminURL(), u.Path[1:]))
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}
