package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/store"
)

func TestPublishedMenu(t *testing.T) {
	f := newFixture(t)
	f.publish(time.Now())
	today := hotspot.DayStart(time.Now())
	for _, tt := range []struct{ query, field, names string }{
		{"?res=9", "res", "8"},
		{"?window=90d", "window", "91d, 182d or 364d"},
		{"?window=2190d", "window", "364d"},
		{"?half_life=30d", "half_life", "14d, 28d or 56d"},
		{"?period=7d", "period", "28d"},
		{"?k=2", "k", "1"},
		{"?from=2026-01-01", "from", "window"},
		{"?agencies=" + f.agencyB.ID.String(), "agencies", "every agency"},
		{"?min_source=1", "min_source", "grading"},
		{"?min_assessment=A", "min_assessment", "grading"},
		{"?categories=weapons,violence", "categories", "one"},
		{"?as_of=" + url.QueryEscape(today.Add(time.Hour).Format(time.RFC3339)), "as_of", "daily"},
		{"?as_of=" + today.AddDate(0, 0, 1).Format(time.DateOnly), "as_of", "today"},
	} {
		for _, caller := range []string{"partner-key", "chair"} {
			r := f.json(caller, http.MethodGet, "/api/v1/hotspots"+tt.query, nil)
			if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.body), `"field":"`+tt.field+`"`) || !strings.Contains(string(r.body), tt.names) {
				t.Errorf("%s as %s: got %d %s, want 400 naming %s and %q", tt.query, caller, r.StatusCode, r.body, tt.field, tt.names)
			}
		}
	}
	// The menu itself is answered, and an analyst is not held to it.
	for _, q := range []string{"", "?res=6&window=91d&half_life=14d&categories=weapons&fdr=true", "?as_of=" + today.Format(time.DateOnly) + "&window=182d&half_life=56d&period=28d&k=1"} {
		if _, r := f.hotspots("partner-key", q); r.StatusCode != http.StatusOK {
			t.Errorf("%s: got %d %s", q, r.StatusCode, r.body)
		}
	}
	if _, r := f.hotspots("analyst", "?res=10&window=90d&half_life=3650d"); r.StatusCode != http.StatusOK {
		t.Errorf("analyst: got %d", r.StatusCode)
	}
	var cfg struct {
		Published *struct {
			Windows []string `json:"windows"`
			MaxRes  int      `json:"max_res"`
		} `json:"published"`
	}
	json.Unmarshal(f.json("partner-key", http.MethodGet, "/api/v1/map-config", nil).body, &cfg)
	if cfg.Published == nil || cfg.Published.MaxRes != 8 || strings.Join(cfg.Published.Windows, ",") != "91d,182d,364d" {
		t.Errorf("map-config for a partner: %+v", cfg.Published)
	}
	cfg.Published = nil
	json.Unmarshal(f.json("analyst", http.MethodGet, "/api/v1/map-config", nil).body, &cfg)
	if cfg.Published != nil {
		t.Error("an analyst is given the published menu")
	}
}

func TestPublishedQueryBudget(t *testing.T) {
	f := newFixture(t)
	f.publish(time.Now())
	f.reconfigure(func(cfg *config.Config) { cfg.PublishedBudget = 3 })
	monday := hotspot.WeekStart(time.Now().AddDate(0, 0, -14))
	ask := func(caller, q string) response {
		t.Helper()
		return f.json(caller, http.MethodGet, "/api/v1/hotspots"+q, nil)
	}
	// Three sets; the days of one week and any bbox are one set; the
	// agency's other key and its users share the budget.
	for i, c := range []struct{ caller, query string }{
		{"partner-key", "?as_of=" + monday.Format(time.DateOnly)},
		{"partner", "?as_of=" + monday.AddDate(0, 0, 3).Format(time.DateOnly) + "&bbox=0,52,0.2,52.3"},
		{"partner-key", "?half_life=14d"},
		{"partner", "?half_life=56d"},
	} {
		if r := ask(c.caller, c.query); r.StatusCode != http.StatusOK {
			t.Fatalf("set %d (%s): got %d %s", i+1, c.query, r.StatusCode, r.body)
		}
	}
	r := ask("partner-key", "?window=91d")
	if r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a fourth set: got %d, want 429", r.StatusCode)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 25*3600 {
		t.Errorf("Retry-After: %q", r.Header.Get("Retry-After"))
	}
	if r := ask("partner-key", "?half_life=14d"); r.StatusCode != http.StatusOK {
		t.Errorf("a set asked for before: got %d", r.StatusCode)
	}
	// Another agency has its own budget; explanations are budgeted per cell.
	if r := ask("other-partner-key", "?window=91d"); r.StatusCode != http.StatusOK {
		t.Errorf("another agency: got %d", r.StatusCode)
	}
	ctx := context.Background()
	f.srv.FlushAudit()
	denied, err := f.db.AuditEvents(ctx, store.AuditFilter{Action: store.ActionAccessDenied, ObjectType: "published_view", Limit: 10})
	if err != nil || len(denied) != 1 || denied[0].ObjectID != "map" {
		t.Fatalf("access_denied events: %v %+v", err, denied)
	}
	consulted, err := f.db.AuditEvents(ctx, store.AuditFilter{Action: store.ActionConsult, ObjectType: "published_view", Limit: 100})
	if err != nil || len(consulted) < 6 {
		t.Fatalf("consult events: %v, %d", err, len(consulted))
	}
	if b, _ := json.Marshal(consulted[0].Detail); !strings.Contains(string(b), `"parameters"`) {
		t.Errorf("a consult event without its parameters: %+v", consulted[0].Detail)
	}

	// The administrator sees the agency at its budget, and a report
	// withdrawn minutes after it was stored.
	id := f.report()
	if r := f.json("partner-key", http.MethodDelete, reportPath(id), nil); r.StatusCode != http.StatusOK {
		t.Fatalf("withdraw: %d", r.StatusCode)
	}
	var rep struct {
		NearBudget []struct {
			Agency string `json:"agency"`
			Scope  string `json:"scope"`
			Sets   int    `json:"parameter_sets"`
		} `json:"near_budget"`
		QuickWithdrawals []struct {
			ID string `json:"id"`
		} `json:"quick_withdrawals"`
	}
	if r := f.json("admin", http.MethodGet, "/api/v1/disclosure", nil); r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &rep) != nil {
		t.Fatalf("disclosure report: %d %s", r.StatusCode, r.body)
	}
	found := false
	for _, u := range rep.NearBudget {
		found = found || (u.Agency == f.agencyA.Name && u.Scope == "map" && u.Sets == 3)
	}
	withdrawn := false
	for _, w := range rep.QuickWithdrawals {
		withdrawn = withdrawn || w.ID == id
	}
	if !found || !withdrawn {
		t.Errorf("disclosure report: %+v", rep)
	}
}
