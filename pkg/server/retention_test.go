package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/store"
)

func TestRetentionReviewRetainAndPurge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	due, kept := f.report(), f.report()
	// Both reports reached their review date yesterday.
	for _, id := range []string{due, kept} {
		if _, err := f.sql().Exec(ctx, `UPDATE reports SET review_at = now() - interval '1 day' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
	}
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	json.Unmarshal(f.json("admin", http.MethodGet, "/api/v1/review?limit=1000", nil).body, &list)
	seen := map[string]bool{}
	for _, it := range list.Items {
		seen[it.ID] = true
	}
	if !seen[due] || !seen[kept] {
		t.Fatalf("review list lacks the due reports: %v", list.Items)
	}
	next := time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
	if r := f.json("admin", http.MethodPost, reportPath(kept)+"/retain", map[string]string{"reason": "linked to an open case", "review_at": next}); r.StatusCode != http.StatusOK {
		t.Fatalf("retain: %d %s", r.StatusCode, r.body)
	}
	if r := f.json("admin", http.MethodPost, reportPath(kept)+"/retain", map[string]string{"reason": "", "review_at": "2001-01-01"}); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("retain without reason, in the past: %d", r.StatusCode)
	}
	var decisions int
	f.sql().QueryRow(ctx, `SELECT count(*) FROM retention_decisions WHERE report_id = $1 AND reason = 'linked to an open case'`, kept).Scan(&decisions)
	if decisions != 1 {
		t.Fatalf("%d retention decisions recorded, want 1", decisions)
	}

	q := "?res=10&as_of=" + url.QueryEscape(time.Now().UTC().Truncate(time.Minute).Format(time.RFC3339))
	before, _ := f.hotspots("analyst", q)
	n, err := f.db.PurgeDue(ctx, time.Now(), 1000, store.AuditEvent{Actor: "test"})
	if err != nil || n < 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	if _, err := f.db.Report(ctx, uuid.MustParse(due)); err == nil {
		t.Fatal("the due report survived the purge")
	}
	if _, err := f.db.Report(ctx, uuid.MustParse(kept)); err != nil {
		t.Fatalf("the retained report was purged: %v", err)
	}
	evs, _ := f.db.AuditEvents(ctx, store.AuditFilter{Action: store.ActionErase, ObjectID: due, Limit: 1})
	if len(evs) != 1 || evs[0].Justification != store.PurgeReason || evs[0].Detail != nil {
		t.Fatalf("erase event: %+v, want the reason and no content", evs)
	}
	after, _ := f.hotspots("analyst", q)
	if after.DataVersion <= before.DataVersion {
		t.Fatal("the hotspots did not follow the purge")
	}
	total := func(fc hotspotFC) (n int) {
		for _, ft := range fc.Features {
			n += ft.Properties.Reports
		}
		return n
	}
	if total(after) != total(before)-n {
		t.Fatalf("hotspots count %d reports after purging %d of %d", total(after), n, total(before))
	}
}
