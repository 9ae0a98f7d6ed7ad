package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// TestReleasesAreStoredOnceAndNeverChange stores a release, refuses a
// second of its cut-off, reads it back, and checks that neither the app
// role nor anyone else can change or delete a stored release.
func TestReleasesAreStoredOnceAndNeverChange(t *testing.T) {
	db := storetest.DB(t)
	ctx := context.Background()
	cutoff := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	r := store.Release{Cutoff: cutoff, ComputedAt: cutoff.Add(2 * time.Minute), Menu: []byte(`{"min_reports":5}`)}
	tables := []store.ReleaseTable{{Res: 8, WindowDays: 364, Category: "", Cells: 2, Body: []byte("all")},
		{Res: 8, WindowDays: 364, Category: "weapons", Cells: 1, Body: []byte("weapons")}}
	ev := store.AuditEvent{Action: store.ActionCombine, Actor: "system:release"}
	if err := db.CreateRelease(ctx, r, tables, nil, ev); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateRelease(ctx, r, tables[:1], nil, ev); !errors.Is(err, store.ErrReleaseExists) {
		t.Fatalf("a second release of one cut-off: got %v, want ErrReleaseExists", err)
	}
	rs, err := db.Releases(ctx)
	if err != nil || len(rs) != 1 || !rs[0].Cutoff.Equal(cutoff) || rs[0].Late {
		t.Fatalf("releases: %+v, %v", rs, err)
	}
	body, err := db.ReleaseTableBody(ctx, cutoff, 8, 364, "weapons")
	if err != nil || string(body) != "weapons" {
		t.Fatalf("table: %q, %v", body, err)
	}
	if _, err := db.ReleaseTableBody(ctx, cutoff, 7, 364, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a table the release does not hold: got %v, want ErrNotFound", err)
	}
	if n, size, err := db.ReleaseSize(ctx, cutoff); err != nil || n != 2 || size != int64(len("all")+len("weapons")) {
		t.Errorf("size: %d tables, %d bytes, %v", n, size, err)
	}
	for _, sql := range []string{
		`UPDATE release_tables SET body = 'forged'`, `DELETE FROM release_tables`, `UPDATE releases SET late = true`,
		`DELETE FROM releases`, `TRUNCATE release_tables`,
	} {
		if _, err := storetest.SQL(t, db).Exec(ctx, sql); err == nil {
			t.Errorf("%s: the database allowed it", sql)
		}
	}
	if body, _ := db.ReleaseTableBody(ctx, cutoff, 8, 364, ""); string(body) != "all" {
		t.Errorf("after the refused changes the table holds %q", body)
	}
}
