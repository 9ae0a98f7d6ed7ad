package store_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Run(m)) }

func TestMigrateUpDownUp(t *testing.T) {
	url := storetest.EmptyDatabase(t)
	mg, err := store.NewMigrator(url)
	if err != nil {
		t.Fatal(err)
	}
	defer mg.Close()

	assertVersion := func(want uint) {
		t.Helper()
		v, dirty, err := mg.Version()
		if err != nil || dirty || v != want {
			t.Fatalf("Version: got %d dirty=%v err=%v, want %d clean", v, dirty, err, want)
		}
	}
	hasPostGIS := func() bool {
		t.Helper()
		db, err := store.Open(context.Background(), url, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := storetest.SQL(t, db).QueryRow(context.Background(),
			`SELECT count(*) FROM pg_extension WHERE extname = 'postgis'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}

	assertVersion(0)
	if err := mg.Up(); err != nil {
		t.Fatalf("Up: %v", err)
	}
	assertVersion(store.SchemaVersion)
	if !hasPostGIS() {
		t.Fatal("PostGIS not enabled after Up")
	}
	if err := mg.Up(); err != nil {
		t.Fatalf("second Up: %v", err)
	}
	if err := mg.Down(int(store.SchemaVersion)); err != nil {
		t.Fatalf("Down: %v", err)
	}
	assertVersion(0)
	if hasPostGIS() {
		t.Fatal("PostGIS still enabled after migrating all the way down")
	}
	if err := mg.Up(); err != nil {
		t.Fatalf("Up again: %v", err)
	}
	assertVersion(store.SchemaVersion)
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	mg, db := migrated(t)
	if _, err := storetest.SQL(t, db).Exec(context.Background(), `UPDATE schema_migrations SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	if err := mg.Up(); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Up on a newer schema: got %v, want ErrSchemaTooNew", err)
	}
	if _, err := db.Ready(context.Background()); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Ready on a newer schema: got %v, want ErrSchemaTooNew", err)
	}
}

func TestReadyFollowsTheDatabase(t *testing.T) {
	proxy := storetest.NewProxy(t, storetest.URL(t))
	db, err := store.Open(context.Background(), proxy.URL(storetest.URL(t)), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()

	v, err := db.Ready(ctx)
	if err != nil || v != store.SchemaVersion {
		t.Fatalf("Ready: got %d, %v; want %d, nil", v, err, store.SchemaVersion)
	}

	proxy.Down()
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := db.Ready(short); err == nil {
		t.Fatal("Ready with the database down: got nil error")
	}

	proxy.Up()
	if _, err := db.Ready(ctx); err != nil {
		t.Fatalf("Ready after the database returned: %v", err)
	}
}

// migrated is a new database migrated up by a migrator of its own, which
// the test may run again, and a pool on it as its owner.
func migrated(t *testing.T) (*store.Migrator, *store.DB) {
	t.Helper()
	url := storetest.EmptyDatabase(t)
	mg, err := store.NewMigrator(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mg.Close() })
	if err := mg.Up(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), url, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return mg, db
}
