package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

func TestAuditLogIsAppendOnly(t *testing.T) {
	db := storetest.DB(t)
	ctx := context.Background()
	if err := db.Audit(ctx, store.AuditEvent{Action: store.ActionConsult, Actor: "test", ObjectType: "report", ObjectID: "x"}); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`UPDATE audit_events SET actor = 'someone else'`,
		`DELETE FROM audit_events`,
		`TRUNCATE audit_events`,
	} {
		if _, err := storetest.SQL(t, db).Exec(ctx, sql); err == nil {
			t.Errorf("%s: the database accepted it", sql)
		}
	}
	evs, err := db.AuditEvents(ctx, store.AuditFilter{Actor: "test", Action: store.ActionConsult, Limit: 10})
	if err != nil || len(evs) == 0 || evs[0].ObjectID != "x" {
		t.Fatalf("audit events after the refused changes: got %+v, %v", evs, err)
	}
}

func TestFailedAuditWriteRollsTheChangeBack(t *testing.T) {
	db := storetest.DB(t)
	ctx := context.Background()
	// An action the audit log refuses makes the audit write fail.
	_, err := db.CreateAgency(ctx, "Rolled Back Agency", "police", store.AuditEvent{Action: "not-an-action", Actor: "test"})
	if err == nil {
		t.Fatal("CreateAgency with a failing audit write: got no error")
	}
	if _, err := db.AgencyByName(ctx, "Rolled Back Agency"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the agency was stored although its audit event failed: %v", err)
	}
}
