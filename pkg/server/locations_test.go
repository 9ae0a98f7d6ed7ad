package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// locationOf creates, as the chair, a location of the cell at (lat, lon)
// at res and rings around it, and returns its id.
func (f *fixture) locationOf(name string, lat, lon float64, res, rings int) string {
	f.t.Helper()
	c, _ := hexgrid.Of(lat, lon, res)
	r := f.json("chair", http.MethodPost, "/api/v1/locations", map[string]any{"name": name, "meeting_ref": "MACE 2026-12",
		"owner_agency": f.agencyA.ID, "cell": c.String(), "rings": rings, "review_date": "2027-01-31"})
	if r.StatusCode != http.StatusCreated {
		f.t.Fatalf("create location: %d %s", r.StatusCode, r.body)
	}
	var out struct{ ID string }
	_ = json.Unmarshal(r.body, &out)
	return out.ID
}

// location creates a location of the fixture's cell and its ring.
func (f *fixture) location() string {
	f.t.Helper()
	return f.locationOf("Fixture location "+uuid.NewString()[:8], 52.2053, 0.1218, 8, 1)
}

// action tasks ag, as the chair, with an action on location loc due in a week.
func (f *fixture) action(loc string, ag store.Agency) string {
	f.t.Helper()
	r := f.json("chair", http.MethodPost, "/api/v1/locations/"+loc+"/actions", map[string]any{"tactic": "patrol_plan", "owner_agency": ag.Name,
		"start_date": time.Now().Format(time.DateOnly), "due_date": time.Now().AddDate(0, 0, 7).Format(time.DateOnly), "note": "Evening patrols"})
	if r.StatusCode != http.StatusCreated {
		f.t.Fatalf("create action: %d %s", r.StatusCode, r.body)
	}
	var out struct{ ID string }
	_ = json.Unmarshal(r.body, &out)
	return out.ID
}

// auditOf counts the audit events of object id with action.
func (f *fixture) auditOf(id, action string) int {
	f.t.Helper()
	var n int
	if err := f.sql().QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE object_id = $1 AND action = $2`, id, action).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestLocationsAndActions(t *testing.T) {
	f := newFixture(t)
	loc := f.location()
	if n := f.auditOf(loc, store.ActionCollect); n != 1 {
		t.Errorf("creating a location wrote %d audit events, want 1", n)
	}
	var got struct {
		Geometry   struct{ Type string }
		Properties struct {
			Name, Status string
			ReviewDate   string `json:"review_date"`
			Cells        []string
			Res          int
		}
		Actions []struct {
			ID, OwnerAgency, Note, Status string
		}
	}
	// Every agency sees the location's name and outline.
	for _, caller := range []string{"partner-key", "other-partner-key", "evaluator", "admin"} {
		r := f.json(caller, http.MethodGet, "/api/v1/locations/"+loc, nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s reads a location: %d %s", caller, r.StatusCode, r.body)
		}
		_ = json.Unmarshal(r.body, &got)
		if len(got.Properties.Cells) != 7 || got.Properties.Res != 8 || got.Geometry.Type != "MultiPolygon" {
			t.Errorf("%s: a cell and its ring: %d cells at res %d, outline %s; want 7 at 8, MultiPolygon", caller, len(got.Properties.Cells), got.Properties.Res, got.Geometry.Type)
		}
	}

	mine, theirs := f.action(loc, f.agencyA), f.action(loc, f.agencyB)
	for _, id := range []string{mine, theirs} {
		if n := f.auditOf(id, store.ActionCollect); n != 1 {
			t.Errorf("creating action %s wrote %d audit events, want 1", id, n)
		}
	}
	// A partner of agency A sees and updates its own action only.
	_ = json.Unmarshal(f.json("partner-key", http.MethodGet, "/api/v1/locations/"+loc, nil).body, &got)
	if len(got.Actions) != 1 || got.Actions[0].ID != mine {
		t.Errorf("partner of A sees actions %+v, want only its own %s", got.Actions, mine)
	}
	for _, tt := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/api/v1/actions/" + theirs, nil},
		{http.MethodPatch, "/api/v1/actions/" + theirs, map[string]string{"status": "done"}},
		{http.MethodPatch, "/api/v1/actions/" + theirs, map[string]string{"note": "overwritten"}},
	} {
		if r := f.json("partner-key", tt.method, tt.path, tt.body); r.StatusCode != http.StatusNotFound {
			t.Errorf("partner of A: %s %s: %d, want 404", tt.method, tt.path, r.StatusCode)
		}
	}
	var list struct{ Items []struct{ ID string } }
	_ = json.Unmarshal(f.json("partner-key", http.MethodGet, "/api/v1/actions", nil).body, &list)
	for _, a := range list.Items {
		if a.ID == theirs {
			t.Errorf("partner of A lists agency B's action")
		}
	}
	// One date moved alone past the other is refused, naming it.
	if r := f.json("chair", http.MethodPatch, "/api/v1/actions/"+theirs, map[string]string{"due_date": "2020-01-01"}); r.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(r.body), `"due_date"`) {
		t.Errorf("a due date before the start: %d %s, want 400 naming due_date", r.StatusCode, r.body)
	}
	// Its own: status and note, nothing the meeting decided.
	if r := f.json("partner-key", http.MethodPatch, "/api/v1/actions/"+mine, map[string]string{"due_date": "2030-01-01"}); r.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(r.body), `"due_date"`) {
		t.Errorf("partner moves its due date: %d %s, want 400 naming due_date", r.StatusCode, r.body)
	}
	if r := f.json("partner-key", http.MethodPatch, "/api/v1/actions/"+mine, map[string]string{"note": "Spoke to the owner, call 07700 900123"}); r.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(r.body), `"personal_data"`) {
		t.Errorf("a note with a phone number: %d %s, want 400 personal_data", r.StatusCode, r.body)
	}
	if r := f.json("partner-key", http.MethodPatch, "/api/v1/actions/"+mine, map[string]string{"status": "done", "note": "Patrols done on 4 evenings"}); r.StatusCode != http.StatusOK ||
		!strings.Contains(string(r.body), `"done_at":"`) {
		t.Errorf("partner marks its action done: %d %s", r.StatusCode, r.body)
	}
	if n := f.auditOf(mine, store.ActionAlter); n != 1 {
		t.Errorf("marking an action done wrote %d audit events, want 1", n)
	}
	// The other agency's action is untouched, and the chair sees both.
	_ = json.Unmarshal(f.json("chair", http.MethodGet, "/api/v1/locations/"+loc, nil).body, &got)
	if len(got.Actions) != 2 {
		t.Fatalf("chair sees %d actions, want 2", len(got.Actions))
	}
	for _, a := range got.Actions {
		if want := map[string]string{mine: "done", theirs: "planned"}[a.ID]; a.Status != want {
			t.Errorf("action %s is %s, want %s", a.ID, a.Status, want)
		}
	}
	// Overdue actions: the chair's list.
	if _, err := f.sql().Exec(context.Background(), `UPDATE location_actions SET start_date = current_date - 20, due_date = current_date - 3 WHERE id = $1`, theirs); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(f.json("chair", http.MethodGet, "/api/v1/actions?overdue=true", nil).body, &list)
	found := false
	for _, a := range list.Items {
		found = found || a.ID == theirs
		if a.ID == mine {
			t.Errorf("a done action is listed overdue")
		}
	}
	if !found {
		t.Errorf("the overdue action is not in the chair's overdue list")
	}

	// Changing and closing a location: audited, and closed ones stay.
	if r := f.json("chair", http.MethodPatch, "/api/v1/locations/"+loc, map[string]any{"status": "closed"}); r.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(r.body), `"closed_reason"`) {
		t.Errorf("closing without a reason: %d %s", r.StatusCode, r.body)
	}
	if r := f.json("chair", http.MethodPatch, "/api/v1/locations/"+loc, map[string]any{"status": "closed", "closed_reason": "the flat is let to a new tenant",
		"cell": fixtureCell(8), "rings": 0}); r.StatusCode != http.StatusOK {
		t.Fatalf("close and shrink: %d %s", r.StatusCode, r.body)
	}
	if n := f.auditOf(loc, store.ActionAlter); n != 1 {
		t.Errorf("closing a location wrote %d audit events, want 1", n)
	}
	if r := f.json("chair", http.MethodPatch, "/api/v1/locations/"+loc, map[string]any{"closed_reason": ""}); r.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(r.body), `"closed_reason"`) {
		t.Errorf("emptying a closed location's reason: %d %s, want 400 naming closed_reason", r.StatusCode, r.body)
	}
	var versions int
	_ = f.sql().QueryRow(context.Background(), `SELECT count(*) FROM location_areas WHERE location_id = $1`, loc).Scan(&versions)
	if versions != 2 {
		t.Errorf("%d area versions kept, want 2", versions)
	}
	_ = json.Unmarshal(f.json("partner-key", http.MethodGet, "/api/v1/locations/"+loc, nil).body, &got)
	if got.Properties.Status != "closed" || len(got.Properties.Cells) != 1 {
		t.Errorf("after closing: %+v", got.Properties)
	}
	if _, err := f.sql().Exec(context.Background(), `UPDATE location_areas SET cells = '{1}' WHERE location_id = $1`, loc); err == nil {
		t.Errorf("a location's area was rewritten")
	}

	// Bad input names the field.
	for _, tt := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"owner_agency": f.agencyA.Name, "cell": fixtureCell(8)}, "name"},
		{map[string]any{"name": "No area", "owner_agency": f.agencyA.Name}, "cells"},
		{map[string]any{"name": "Far away", "owner_agency": f.agencyA.Name, "cell": mustCell(51.5, -0.12, 8)}, "cells"},
		{map[string]any{"name": "Nobody's", "owner_agency": "no such agency", "cell": fixtureCell(8)}, "owner_agency"},
		{map[string]any{"name": "Too coarse", "owner_agency": f.agencyA.Name, "cell": fixtureCell(5)}, "cells"},
		{map[string]any{"name": "Drawn", "owner_agency": f.agencyA.Name, "polygon": map[string]any{"type": "Polygon",
			"coordinates": [][][]float64{{{0.12, 52.2}, {0.13, 52.2}, {0.13, 52.21}, {0.12, 52.2}}}}}, "res"},
		{map[string]any{"name": "Call 07700 900123", "owner_agency": f.agencyA.Name, "cell": fixtureCell(8)}, "name"},
		// Finer than the published view: no agency but analysts could read its figures.
		{map[string]any{"name": "Too fine", "owner_agency": f.agencyA.Name, "cell": fixtureCell(10)}, "cells"},
		// A county drawn at resolution 8 would be cells by the thousand.
		{map[string]any{"name": "County", "owner_agency": f.agencyA.Name, "res": 8, "polygon": map[string]any{"type": "Polygon",
			"coordinates": [][][]float64{{{-0.5, 52.0}, {0.5, 52.0}, {0.5, 52.7}, {-0.5, 52.7}, {-0.5, 52.0}}}}}, "polygon"},
	} {
		r := f.json("chair", http.MethodPost, "/api/v1/locations", tt.body)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.body), `"field":"`+tt.field) {
			t.Errorf("%v: %d %s, want 400 naming %s", tt.body, r.StatusCode, r.body, tt.field)
		}
	}
	// A drawn polygon is kept, and covered by cells.
	r := f.json("analyst", http.MethodPost, "/api/v1/locations", map[string]any{"name": "Drawn arcade", "owner_agency": f.agencyC.Name, "res": 8,
		"polygon": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{0.110, 52.200}, {0.130, 52.200}, {0.130, 52.215}, {0.110, 52.215}, {0.110, 52.200}}}}})
	var drawn struct {
		Properties struct {
			Cells []string
			Drawn *struct{ Type string }
		}
	}
	if _ = json.Unmarshal(r.body, &drawn); r.StatusCode != http.StatusCreated || len(drawn.Properties.Cells) < 4 || drawn.Properties.Drawn == nil {
		t.Errorf("a drawn location: %d %s", r.StatusCode, r.body)
	}
}

func mustCell(lat, lon float64, res int) string {
	c, _ := hexgrid.Of(lat, lon, res)
	return c.String()
}

// TestEvaluationByHand evaluates three locations on a constructed data
// set, in the exact view, against figures computed by hand.
//
// Every report is drug supply graded 1A (harm 5 × 1.0 × 1.0 = 5), observed
// on the Wednesday of its week, of agency A. The date is the Monday ten
// weeks back; the weeks are 4 before it and 4 after. Each location is one
// cell at resolution 8 and its ring (7 cells); its buffer is the two rings
// around that; their reports lie in the area's centre and in a buffer
// cell two steps from it, the locations far apart. 400 reports before and
// 400 after lie elsewhere. Before / after:
//
//	L1 (diffusion):    A 20 → 10, B 20 → 14
//	L2 (displacement): A 20 → 10, B 20 → 26
//	L3 (no success):   A 10 → 16, B 10 → 10
//
// The control of each is every other report: in all, 500 before
// (400 + 40 + 40 + 20) and 486 after (400 + 24 + 36 + 26), so
//
//	L1: C 460 → 462. SM = 10/462 − 20/460 = 0.0216450 − 0.0434783 = −0.0218332;
//	    BDM = 14/462 − 20/460 = 0.0303030 − 0.0434783 = −0.0131752;
//	    WDQ = BDM / SM = 0.603448; net = (20·462/460 − 10) + (20·462/460 − 14)
//	    = 10.086957 + 6.086957 = 16.173913 reports (× 5 = 80.869565 harm).
//	L2: C 460 → 450. SM = 10/450 − 20/460 = 0.0222222 − 0.0434783 = −0.0212560;
//	    BDM = 26/450 − 20/460 = 0.0577778 − 0.0434783 = 0.0142995;
//	    WDQ = −0.672727; net = (20·450/460 − 10) + (20·450/460 − 26)
//	    = 9.565217 − 6.434783 = 3.130435.
//	L3: C 480 → 460. SM = 16/460 − 10/480 = 0.0347826 − 0.0208333 = 0.0139493 > 0:
//	    BDM = 10/460 − 10/480 = 0.0217391 − 0.0208333 = 0.0009058;
//	    no success, no WDQ; net = (10·460/480 − 16) + (10·460/480 − 10) = −6.833333.
func TestEvaluationByHand(t *testing.T) {
	storetest.SkipShort(t)
	f := newFixtureOn(t, storetest.OwnDB(t))
	at := hotspot.WeekStart(time.Now()).AddDate(0, 0, -70)
	type place struct {
		name           string
		lat, lon       float64
		a0, a1, b0, b1 int
		sm, bdm, net   float64
		wdq            *float64
		reading        string
	}
	wdq := func(v float64) *float64 { return &v }
	places := []place{
		{"L1 diffusion", 52.2053, 0.1218, 20, 10, 20, 14, -0.0218332, -0.0131752, 16.173913, wdq(0.603448), "diffusion"},
		{"L2 displacement", 52.5736, -0.2400, 20, 10, 20, 26, -0.0212560, 0.0142995, 3.130435, wdq(-0.672727), "displacement"},
		{"L3 no success", 52.3300, -0.1800, 10, 16, 10, 10, 0.0139493, 0.0009058, -6.833333, nil, "no_success"},
	}
	var reports []intel.Report
	add := func(lat, lon float64, week time.Time, n int) {
		for range n {
			m := submission("hand-" + uuid.NewString())
			m["category"], m["grading"] = "drug_supply", map[string]any{"source": 1, "assessment": "A", "handling": "P"}
			m["observed_at"] = week.AddDate(0, 0, 2).Add(12 * time.Hour).UTC().Format(time.RFC3339)
			m["location"] = map[string]float64{"lat": lat, "lon": lon}
			b, _ := json.Marshal(m)
			sub, errs := intel.DecodeSubmission(b)
			if errs != nil {
				t.Fatal(errs)
			}
			r, verr := f.validator.Validate(sub)
			if verr != nil {
				t.Fatal(verr)
			}
			r.ID, r.AgencyID = uuid.Must(uuid.NewV7()), f.agencyA.ID
			reports = append(reports, r)
		}
	}
	// spread puts n reports at (lat, lon) over the four weeks starting at from.
	spread := func(lat, lon float64, from time.Time, n int) {
		for w := range 4 {
			add(lat, lon, from.AddDate(0, 0, 7*w), n/4+map[bool]int{true: 1}[w < n%4])
		}
	}
	before, after := at.AddDate(0, 0, -28), at
	ids := make([]string, len(places))
	for i, p := range places {
		centre, _ := hexgrid.Of(p.lat, p.lon, 8)
		disk2, _ := centre.Disk(2)
		disk1, _ := centre.Disk(1)
		var buf hexgrid.Cell
		for _, c := range disk2 {
			if !slices.Contains(disk1, c) {
				buf = c
				break
			}
		}
		ll, _ := buf.Center()
		spread(p.lat, p.lon, before, p.a0)
		spread(p.lat, p.lon, after, p.a1)
		spread(ll.Lat(), ll.Lon(), before, p.b0)
		spread(ll.Lat(), ll.Lon(), after, p.b1)
		ids[i] = f.locationOf(p.name, p.lat, p.lon, 8, 1)
	}
	spread(52.40, 0.26, before, 400) // Ely
	spread(52.40, 0.26, after, 400)
	if _, err := f.db.InsertReports(context.Background(), reports, store.AuditEvent{Action: store.ActionCollect, Actor: "test"}); err != nil {
		t.Fatal(err)
	}

	type measures struct {
		SuccessMeasure float64  `json:"success_measure"`
		BufferMeasure  float64  `json:"buffer_measure"`
		WDQ            *float64 `json:"wdq"`
		NetEffect      float64  `json:"net_effect"`
		Reading        string
	}
	type figure struct {
		Reports *int
		Harm    *float64
	}
	type region struct{ Before, After figure }
	var ev struct {
		View     string
		Regions  struct{ Area, Buffer, Control region }
		Measures *struct{ Harm, Reports measures }
		Test     *struct{ P float64 }
		TooFew   bool `json:"too_few"`
		Reading  string
	}
	near := func(got, want float64) bool { return math.Abs(got-want) <= 1e-5*math.Max(1, math.Abs(want)) }
	for i, p := range places {
		r := f.json("analyst", http.MethodGet, fmt.Sprintf("/api/v1/locations/%s/evaluation?at=%s&weeks=4", ids[i], at.Format(time.DateOnly)), nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", p.name, r.StatusCode, r.body)
		}
		ev.Measures = nil
		if err := json.Unmarshal(r.body, &ev); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s", p.name, ev.Reading)
		a, b := ev.Regions.Area, ev.Regions.Buffer
		if *a.Before.Reports != p.a0 || *a.After.Reports != p.a1 || *b.Before.Reports != p.b0 || *b.After.Reports != p.b1 {
			t.Errorf("%s: A %d → %d, B %d → %d; want %d → %d, %d → %d", p.name, *a.Before.Reports, *a.After.Reports, *b.Before.Reports, *b.After.Reports, p.a0, p.a1, p.b0, p.b1)
			continue
		}
		if ev.Measures == nil {
			t.Errorf("%s: no measures: %s", p.name, r.body)
			continue
		}
		m := ev.Measures.Reports
		if !near(m.SuccessMeasure, p.sm) || !near(m.BufferMeasure, p.bdm) || !near(m.NetEffect, p.net) || m.Reading != p.reading {
			t.Errorf("%s: SM %.7f BDM %.7f net %.6f %s; want %.7f %.7f %.6f %s", p.name, m.SuccessMeasure, m.BufferMeasure, m.NetEffect, m.Reading, p.sm, p.bdm, p.net, p.reading)
		}
		if (m.WDQ == nil) != (p.wdq == nil) || m.WDQ != nil && !near(*m.WDQ, *p.wdq) {
			t.Errorf("%s: WDQ %v, want %v", p.name, m.WDQ, p.wdq)
		}
		// Harm is 5 a report: the ratios are the same, the net effect five times.
		if h := ev.Measures.Harm; !near(h.NetEffect, 5*p.net) || (h.WDQ == nil) != (p.wdq == nil) || h.WDQ != nil && !near(*h.WDQ, *p.wdq) {
			t.Errorf("%s: harm's net effect %.6f WDQ %v, want %.6f %v", p.name, h.NetEffect, h.WDQ, 5*p.net, p.wdq)
		}
	}
	// Too few reports: a location with nothing in it says so.
	empty := f.locationOf("Quiet corner", 52.62, 0.05, 8, 0)
	r := f.json("analyst", http.MethodGet, "/api/v1/locations/"+empty+"/evaluation?at="+at.Format(time.DateOnly)+"&weeks=4", nil)
	ev.Measures = nil
	_ = json.Unmarshal(r.body, &ev)
	if r.StatusCode != http.StatusOK || !ev.TooFew || ev.Measures != nil || !strings.Contains(ev.Reading, "Too few reports") {
		t.Errorf("an empty location: %d too_few %v measures %v %q", r.StatusCode, ev.TooFew, ev.Measures, ev.Reading)
	}
}
