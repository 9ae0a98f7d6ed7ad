package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// TestAppRoleCannotRewriteTheAuditLog tries, as the service's own role,
// every way of changing the audit log that a superuser or an owner has.
func TestAppRoleCannotRewriteTheAuditLog(t *testing.T) {
	db := storetest.DB(t)
	ctx := context.Background()
	if err := db.Audit(ctx, store.AuditEvent{Action: store.ActionAdmin, Actor: "test"}); err != nil {
		t.Fatalf("the app role cannot append: %v", err)
	}
	for _, q := range []string{
		`UPDATE audit_events SET actor = 'someone else'`,
		`DELETE FROM audit_events`,
		`TRUNCATE audit_events`,
		`SET session_replication_role = replica`,
		`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete`,
		`DROP TRIGGER audit_events_chain ON audit_events`,
		`CREATE TABLE sneaky (id int)`,
		`UPDATE schema_migrations SET version = 1`,
	} {
		if _, err := storetest.SQL(t, db).Exec(ctx, q); err == nil {
			t.Errorf("the app role may %s", q)
		}
	}
	if err := db.CheckUnprivileged(ctx); err != nil {
		t.Errorf("the app role is refused: %v", err)
	}
	// A temporary table of the same name cannot stand in for the log in
	// the chain: the next event still chains to the real newest one.
	conn, err := pgx.Connect(ctx, storetest.AppURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		`CREATE TEMP TABLE audit_events AS SELECT * FROM public.audit_events WITH NO DATA`,
		`INSERT INTO pg_temp.audit_events (id, at, actor, action, chain_seq, prev_hash, hash) VALUES (1, now(), 'x', 'admin', 1000000, '\xbe', '\xef')`,
		`INSERT INTO public.audit_events (actor, action) VALUES ('shadowed', 'admin')`,
		`DROP TABLE pg_temp.audit_events`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, broken, err := db.VerifyAudit(ctx); err != nil || broken != nil {
		t.Errorf("after a shadowing temporary table: broken %+v, %v", broken, err)
	}
	owner, err := store.Open(ctx, storetest.URL(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	if err := owner.CheckUnprivileged(ctx); !errors.Is(err, store.ErrPrivileged) {
		t.Errorf("the owner: got %v, want ErrPrivileged", err)
	}
}

// TestAuditChainHoldsUnderConcurrentWriters writes events from many
// connections at once and checks the chain, then breaks it as the owner.
func TestAuditChainHoldsUnderConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	url := storetest.EmptyDatabase(t)
	mg, err := store.NewMigrator(url)
	if err != nil {
		t.Fatal(err)
	}
	if err := mg.Up(); err != nil {
		t.Fatal(err)
	}
	mg.Close()
	db, err := store.Open(ctx, url, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wg sync.WaitGroup
	for w := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				if err := db.Audit(ctx, store.AuditEvent{Action: store.ActionConsult, Actor: fmt.Sprintf("writer %d", w), ObjectID: fmt.Sprint(i),
					Detail: map[string]any{"n": i}}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	head, broken, err := db.VerifyAudit(ctx)
	if err != nil || broken != nil || head.Events != 200 || len(head.Hash) != 32 {
		t.Fatalf("after 200 concurrent events: %+v checked, broken %+v, %v", head, broken, err)
	}
	for _, tc := range []struct {
		name, sql string
		at        int64
	}{
		{"removed", `DELETE FROM audit_events WHERE chain_seq = 120`, 121},
		{"changed", `UPDATE audit_events SET detail = '{"n": 99}' WHERE chain_seq = 50`, 50},
	} {
		if _, err := storetest.SQL(t, db).Exec(ctx, `ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete`); err != nil {
			t.Fatal(err)
		}
		if _, err := storetest.SQL(t, db).Exec(ctx, tc.sql); err != nil {
			t.Fatal(err)
		}
		_, broken, err := db.VerifyAudit(ctx)
		if err != nil || broken == nil || broken.ChainSeq != tc.at {
			t.Fatalf("%s: broken %+v, %v; want the event at chain position %d", tc.name, broken, err, tc.at)
		}
	}
}
