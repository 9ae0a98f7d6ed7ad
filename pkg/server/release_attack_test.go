package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
)

// The attacks that placed single reports of other agencies while the
// published view was a live query (threshold crossings, late writes and
// evaluations between polls, seq gaps, two freezes, feedback polling),
// made again against the weekly releases. Each attack's claims are checked
// against the raw reports; each also runs where it must succeed (exact
// figures, or the rule the releases replaced), so that a failure of the
// attack, not of its premise, is what the test shows.

// confident is how often an attack's claims must be right for an attacker
// to act on any one of them: a rule right less often than this certifies
// nothing, since the attacker cannot tell its right claims from its wrong.
const confident = 0.9

// judge is the reports an attack recovered: its true single-report claims,
// when its claims are right at least confident of the time.
func (tl *tally) judge(right, single int) {
	tl.recovered = 0
	if tl.claims > 0 && float64(right)/float64(tl.claims) >= confident {
		tl.recovered = single
	}
}

// weeksBack are the n cut-offs (Mondays) back from the anchor's, newest first.
func weeksBack(n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = hotspot.WeekStart(attackAnchor.Add(12*time.Hour)).AddDate(0, 0, -7*i)
	}
	return out
}

// othersIn counts the reports of agencies other than the attacker's in
// cell c observed in the week starting at week and counted before counted.
func othersIn(rs []truth, c hexgrid.Cell, week time.Time) int {
	return matches(rs, c, func(r truth) bool {
		return hotspot.WeekStart(r.at).Equal(week) && r.grading[1:] != "E"
	})
}

// thresholdWalk steps back a week at a time through the releases and
// claims, for every cell hidden one week and shown the next, that the
// cell gained a report of another agency in the week between. shown gives
// the cells a rule shows at a cut-off.
func thresholdWalk(cutoffs []time.Time, rs []truth, shown func(cutoff time.Time) map[hexgrid.Cell]bool) tally {
	var tl tally
	right, single := 0, 0
	for i := len(cutoffs) - 1; i > 0; i-- {
		before, after := shown(cutoffs[i]), shown(cutoffs[i-1])
		tl.requests += 2
		for c := range after {
			if before[c] {
				continue
			}
			tl.claims++
			switch n := othersIn(rs, c, cutoffs[i]); {
			case n == 1:
				right++
				single++
			case n > 1:
				right++
			}
		}
	}
	tl.judge(right, single)
	tl.right = right
	return tl
}

// weeklyGain is how often a cell shown at a cut-off gained a report of
// another agency in the week before it: the rate a blind guess is right.
func weeklyGain(cutoffs []time.Time, rs []truth, shown func(cutoff time.Time) map[hexgrid.Cell]bool) float64 {
	cells, gained := 0, 0
	for i := len(cutoffs) - 1; i > 0; i-- {
		for c := range shown(cutoffs[i-1]) {
			cells++
			if othersIn(rs, c, cutoffs[i]) > 0 {
				gained++
			}
		}
	}
	return float64(gained) / float64(max(cells, 1))
}

// The fronts of the published view: the REST API and the OGC API.
const (
	restHotspots = "/api/v1/hotspots?"
	ogcHotspots  = "/ogc/collections/hotspots/items?limit=10000&"
)

// shownBy is the cells the partner's map shows at a cut-off, window 91
// days, read through front.
func (f *fixture) shownBy(caller, front string) func(time.Time) map[hexgrid.Cell]bool {
	return func(cutoff time.Time) map[hexgrid.Cell]bool {
		var fc attackFC
		var tl tally
		if code := f.attackGet(&tl, caller, front+"res=8&window=91d&as_of="+cutoff.In(hotspot.London).Format(time.DateOnly), &fc); code != http.StatusOK {
			f.t.Fatalf("release of %s: %d", cutoff, code)
		}
		out := map[hexgrid.Cell]bool{}
		for _, c := range fc.Features {
			cell, _ := hexgrid.Parse(c.ID)
			out[cell] = true
		}
		return out
	}
}

// exactRule is the show/hide rule the releases replaced: a cell is shown
// when it holds 5 counted reports of other agencies in the window.
func exactRule(rs []truth) func(time.Time) map[hexgrid.Cell]bool { return exactRuleAt(rs, 8, 5) }

// exactRuleAt is a cell of resolution res shown when it holds k counted
// reports of other agencies in the 91 days before the cut-off.
func exactRuleAt(rs []truth, res, k int) func(time.Time) map[hexgrid.Cell]bool {
	return func(cutoff time.Time) map[hexgrid.Cell]bool {
		from := cutoff.In(hotspot.London).AddDate(0, 0, -91)
		n := map[hexgrid.Cell]int{}
		for _, r := range rs {
			w := hotspot.WeekStart(r.at)
			if !w.Before(from) && w.Before(cutoff) && r.grading[1:] != "E" {
				n[r.cells.At(res)]++
			}
		}
		out := map[hexgrid.Cell]bool{}
		for c, m := range n {
			if m >= k {
				out[c] = true
			}
		}
		return out
	}
}

func TestAttacksOnTheWeeklyReleases(t *testing.T) {
	f, all := attackData(t, 8000)
	rs := others(all, f.agencyA.ID)
	report := func(name string, published, control tally) {
		t.Helper()
		t.Logf("%-40s partner/chair: %v; control: %v", name, published, control)
		if published.recovered != 0 {
			t.Errorf("%s: %d reports recovered", name, published.recovered)
		}
		if control.recovered == 0 {
			t.Errorf("%s: the attack recovers nothing even where it must: it tests nothing", name)
		}
	}
	cutoffs := weeksBack(31)
	f.publish(cutoffs...)

	t.Run("threshold walk over 30 weeks", func(t *testing.T) {
		f.t = t
		pub := thresholdWalk(cutoffs, rs, f.shownBy("partner-key", restHotspots))
		t.Logf("threshold walk against the releases: %d of %d claims right (an attacker needs %.0f %%); a cell shown at a cut-off gained a report the week before %.0f %% of the time",
			pub.right, pub.claims, 100*confident, 100*weeklyGain(cutoffs, rs, f.shownBy("partner-key", restHotspots)))
		report("threshold walk, 30 weeks", pub, thresholdWalk(cutoffs, rs, exactRule(rs)))
	})

	t.Run("threshold walk through the OGC API", func(t *testing.T) {
		f.t = t
		// A second key of the same partner: the first has spent its rate.
		f.callers["ogc-partner-key"] = &caller{name: "ogc-partner-key", key: f.apiKey(auth.Partner, f.agencyA)}
		rest, ogc := f.shownBy("partner-key", restHotspots), f.shownBy("ogc-partner-key", ogcHotspots)
		for _, cutoff := range cutoffs[:4] {
			if a, b := rest(cutoff), ogc(cutoff); !maps.Equal(a, b) || len(a) == 0 {
				t.Fatalf("release of %s: %d cells through the REST API, %d through /ogc", cutoff, len(a), len(b))
			}
		}
		report("threshold walk through /ogc, 30 weeks", thresholdWalk(cutoffs, rs, ogc), thresholdWalk(cutoffs, rs, exactRule(rs)))
	})

	t.Run("threshold and kind walks through the coverage layer", func(t *testing.T) {
		f.t = t
		f.callers["coverage-partner-key"] = &caller{name: "coverage-partner-key", key: f.apiKey(auth.Partner, f.agencyA)}
		// The published layer at res 7: the cells shown, and those where the
		// other agency's kind (the council's) is named.
		layers := map[time.Time]coverageAnswer{}
		layer := func(cutoff time.Time) coverageAnswer {
			if cv, ok := layers[cutoff]; ok {
				return cv
			}
			var cv coverageAnswer
			r := f.json("coverage-partner-key", http.MethodGet, "/api/v1/coverage?res=7&window=91d&as_of="+cutoff.In(hotspot.London).Format(time.DateOnly), nil)
			if r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &cv) != nil || cv.View != "published" {
				t.Fatalf("coverage of %s: %d %s", cutoff, r.StatusCode, r.body)
			}
			for _, name := range []string{f.agencyA.Name, f.agencyB.Name, f.agencyC.Name, "Agency "} {
				if bytes.Contains(r.body, []byte(name)) {
					t.Fatalf("the published coverage layer names an agency (%q): %s", name, r.body)
				}
			}
			for _, ft := range cv.Features {
				if ft.Properties.Reports != nil || ft.Properties.Agencies != nil {
					t.Fatalf("the published coverage layer counts: %+v", ft)
				}
			}
			layers[cutoff] = cv
			return cv
		}
		cells := func(kind string) func(time.Time) map[hexgrid.Cell]bool {
			return func(cutoff time.Time) map[hexgrid.Cell]bool {
				out := map[hexgrid.Cell]bool{}
				for _, ft := range layer(cutoff).Features {
					if kind == "" || slices.Contains(ft.Properties.Kinds, kind) {
						cell, _ := hexgrid.Parse(ft.ID)
						out[cell] = true
					}
				}
				return out
			}
		}
		// Each kind here is one agency's: naming it would name the agency,
		// so the published split never does (a split is shown by the rule of
		// cells, K reports outside its largest agency), and a kind walk has
		// nothing to claim. The control shows what it would claim if it did.
		for _, cutoff := range cutoffs {
			if n := len(cells("local_authority")(cutoff)) + len(cells("police")(cutoff)); n != 0 {
				t.Fatalf("release of %s: the layer names a kind only one agency holds in %d cells", cutoff, n)
			}
		}
		report("threshold walk through the coverage layer", thresholdWalk(cutoffs, rs, cells("")), thresholdWalk(cutoffs, rs, exactRuleAt(rs, 7, 5)))
		// The kind appearing in a cell between two releases: claimed as one
		// report of the council that week. The control is the exact layer's
		// rule: the kind is named at its first report.
		report("kind walk through the coverage layer", thresholdWalk(cutoffs, rs, cells("local_authority")), thresholdWalk(cutoffs, rs, exactRuleAt(rs, 7, 1)))
	})

	latest := cutoffs[2] // a release with weeks of data after it
	asOf := latest.In(hotspot.London).Format(time.DateOnly)
	poll := func(caller, path string) []byte {
		t.Helper()
		r := f.json(caller, http.MethodGet, path, nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %s", caller, path, r.StatusCode, r.body)
		}
		return r.body
	}
	mapOf := func(caller string) []byte {
		return poll(caller, restHotspots+"res=8&window=91d&as_of="+asOf)
	}
	ogcMapOf := func(caller string) []byte {
		return poll(caller, ogcHotspots+"res=8&window=91d&as_of="+asOf)
	}
	changedCells := func(a, b []byte) []hexgrid.Cell {
		var x, y attackFC
		if err := json.Unmarshal(a, &x); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &y); err != nil {
			t.Fatal(err)
		}
		old := map[string]attackCell{}
		for _, c := range x.Features {
			old[c.ID] = c
		}
		var out []hexgrid.Cell
		for _, c := range y.Features {
			if o, ok := old[c.ID]; !ok || o.Properties.Reports != c.Properties.Reports || o.Properties.Score != c.Properties.Score {
				cell, _ := hexgrid.Parse(c.ID)
				out = append(out, cell)
			}
		}
		return out
	}

	t.Run("late writes of another agency between polls", func(t *testing.T) {
		f.t = t
		// B posts reports dated weeks before the release, in busy cells.
		var fc attackFC
		var tl, control tally
		f.attackGet(&tl, "analyst", "/api/v1/hotspots?res=8&window=91d&as_of="+asOf, &fc)
		before, beforeFull, beforeOGC := mapOf("partner-key"), mapOf("analyst"), ogcMapOf("partner-key")
		late := map[hexgrid.Cell]bool{}
		for i, c := range fc.Features[:min(12, len(fc.Features))] {
			cell, _ := hexgrid.Parse(c.ID)
			ll, _ := cell.Center()
			sub := submission(fmt.Sprintf("late-%d", i))
			sub["location"] = map[string]float64{"lat": ll.Lat(), "lon": ll.Lon()}
			sub["observed_at"] = latest.AddDate(0, 0, -7*(3+i%5)).Add(36 * time.Hour).Format(time.RFC3339)
			if r := f.json("other-partner-key", http.MethodPost, "/api/v1/reports", sub); r.StatusCode != http.StatusCreated {
				t.Fatalf("late report: %d %s", r.StatusCode, r.body)
			}
			late[cell] = true
		}
		after, afterFull, afterOGC := mapOf("partner-key"), mapOf("analyst"), ogcMapOf("partner-key")
		tl.requests += 3
		if !bytes.Equal(before, after) {
			t.Errorf("the release changed after late writes of another agency")
		}
		for _, c := range slices.Concat(changedCells(before, after), changedCells(beforeOGC, afterOGC)) {
			tl.claims++
			if late[c] {
				tl.recovered++
			}
		}
		// The exact view moves in the cells written to, and only there.
		right := 0
		for _, c := range changedCells(beforeFull, afterFull) {
			control.claims++
			if late[c] {
				right++
			}
		}
		control.judge(right, right)
		report("late writes between polls", tl, control)
	})

	t.Run("evaluation between polls", func(t *testing.T) {
		f.t = t
		var fc attackFC
		var tl, control tally
		f.attackGet(&tl, "analyst", "/api/v1/hotspots?res=8&window=91d&as_of="+asOf, &fc)
		cell, _ := hexgrid.Parse(fc.Features[0].ID)
		ll, _ := cell.Center()
		sub := submission("evaluated-later")
		delete(sub, "grading")
		sub["location"] = map[string]float64{"lat": ll.Lat(), "lon": ll.Lon()}
		sub["observed_at"] = latest.AddDate(0, 0, -10).Format(time.RFC3339)
		r := f.json("school", http.MethodPost, "/api/v1/reports", sub)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("school report: %d %s", r.StatusCode, r.body)
		}
		var made struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(r.body, &made)
		before, beforeFull := mapOf("partner-key"), mapOf("analyst")
		if r := f.json("evaluator", http.MethodPost, reportPath(made.ID)+"/evaluation", map[string]any{"source": 1, "assessment": "A", "handling": "P",
			"outcome": "intelligence"}); r.StatusCode != http.StatusOK {
			t.Fatalf("evaluate: %d %s", r.StatusCode, r.body)
		}
		after, afterFull := mapOf("partner-key"), mapOf("analyst")
		tl.requests += 2
		if !bytes.Equal(before, after) {
			t.Errorf("the release changed when an evaluator counted a report")
		}
		for _, c := range changedCells(before, after) {
			tl.claims++
			if c == cell {
				tl.recovered++
			}
		}
		right := 0
		for _, c := range changedCells(beforeFull, afterFull) {
			control.claims++
			if c == cell {
				right++
			}
		}
		control.judge(right, right)
		report("evaluation between polls", tl, control)
	})

	t.Run("seq gaps between a partner's own reports", func(t *testing.T) {
		f.t = t
		var tl, control tally
		post := func(caller, ref string) string {
			r := f.json(caller, http.MethodPost, "/api/v1/reports", submission(ref))
			if r.StatusCode != http.StatusCreated {
				t.Fatalf("%s: %d %s", ref, r.StatusCode, r.body)
			}
			var made struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(r.body, &made)
			return made.ID
		}
		first := post("partner-key", "gap-1")
		for i := range 3 {
			post("other-partner-key", fmt.Sprintf("gap-other-%d", i))
		}
		second := post("partner-key", "gap-2")
		seqOf := func(caller, id string) (float64, bool) {
			var ft struct {
				Properties map[string]any `json:"properties"`
			}
			if err := json.Unmarshal(poll(caller, "/api/v1/reports/"+id), &ft); err != nil {
				t.Fatal(err)
			}
			s, ok := ft.Properties["seq"].(float64)
			return s, ok
		}
		for _, who := range []struct {
			caller string
			tl     *tally
		}{{"partner-key", &tl}, {"analyst", &control}} {
			a, okA := seqOf(who.caller, first)
			b, okB := seqOf(who.caller, second)
			who.tl.requests += 2
			if okA && okB {
				who.tl.claims++
				if b-a-1 >= 3 {
					who.tl.recovered = 3
				}
			}
		}
		report("seq gaps", tl, control)
	})

	t.Run("two freezes by a chair", func(t *testing.T) {
		f.t = t
		var tl, control tally
		freeze := func(caller, view string) map[string]any {
			r := f.json(caller, http.MethodPost, "/api/v1/snapshots", map[string]any{"title": "Freeze", "meeting_date": "2026-12-03", "view": view,
				"parameters": map[string]any{"res": 8, "as_of": asOf}})
			if r.StatusCode != http.StatusCreated {
				t.Fatalf("freeze: %d %s", r.StatusCode, r.body)
			}
			var sn map[string]any
			_ = json.Unmarshal(r.body, &sn)
			content := poll(caller, "/api/v1/snapshots/"+sn["id"].(string)+"/content.json?purpose=attack")
			var c map[string]any
			_ = json.Unmarshal(content, &c)
			sn["cells_json"] = fmt.Sprint(c["cells"])
			return sn
		}
		a, fullA := freeze("chair", "published"), freeze("analyst", "full")
		for i := range 4 {
			sub := submission(fmt.Sprintf("between-freezes-%d", i))
			if r := f.json("other-partner-key", http.MethodPost, "/api/v1/reports", sub); r.StatusCode != http.StatusCreated {
				t.Fatalf("write: %d", r.StatusCode)
			}
		}
		b, fullB := freeze("chair", "published"), freeze("analyst", "full")
		tl.requests, control.requests = 4, 4
		if _, ok := a["data_version"]; ok {
			t.Errorf("a published snapshot shows data_version: %v", a)
		}
		if a["release"] != asOf || b["release"] != asOf {
			t.Errorf("published snapshots name releases %v and %v, want %s", a["release"], b["release"], asOf)
		}
		if a["cells_json"] != b["cells_json"] {
			t.Errorf("two freezes of one release differ")
		}
		if va, ok := a["data_version"].(float64); ok {
			tl.claims++
			if vb, _ := b["data_version"].(float64); vb-va == 4 {
				tl.recovered = 4
			}
		}
		if va, ok := fullA["data_version"].(float64); ok {
			control.claims++
			if vb, _ := fullB["data_version"].(float64); vb-va >= 4 {
				control.recovered = 4
			}
		}
		report("two freezes", tl, control)
	})

	t.Run("feedback polling", func(t *testing.T) {
		f.t = t
		var tl, control tally
		type figures struct {
			AgencyID  uuid.UUID `json:"agency_id"`
			Submitted int       `json:"submitted"`
			Pending   int       `json:"pending"`
			Evaluated int       `json:"evaluated"`
			Withdrawn int       `json:"withdrawn"`
		}
		lastMonth := time.Now().In(hotspot.London).AddDate(0, 0, -time.Now().In(hotspot.London).Day()).Format("2006-01")
		feedback := func(caller string) map[uuid.UUID]figures {
			var fb struct {
				Agencies []figures `json:"agencies"`
			}
			if err := json.Unmarshal(poll(caller, "/api/v1/feedback?month="+lastMonth), &fb); err != nil {
				t.Fatal(err)
			}
			out := map[uuid.UUID]figures{}
			for _, a := range fb.Agencies {
				out[a.AgencyID] = a
			}
			return out
		}
		// Two reports submitted last month: one waiting for evaluation
		// (agency C), one of B's; the chair polls around their evaluation
		// and withdrawal, and around a submission this month.
		waiting := f.pendingReport()
		r := f.json("other-partner-key", http.MethodPost, "/api/v1/reports", submission("last-month"))
		var made struct{ ID string }
		_ = json.Unmarshal(r.body, &made)
		if _, err := f.sql().Exec(context.Background(), `UPDATE reports SET created_at = date_trunc('month', now() AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London' - interval '3 days'
			WHERE id = ANY($1::uuid[])`, []string{waiting, made.ID}); err != nil {
			t.Fatal(err)
		}
		before, beforeAll := feedback("chair"), feedback("evaluator")
		steps := []response{
			f.json("evaluator", http.MethodPost, reportPath(waiting)+"/evaluation", map[string]any{"source": 2, "assessment": "B", "handling": "P", "outcome": "intelligence"}),
			f.json("other-partner-key", http.MethodDelete, reportPath(made.ID), nil),
			f.json("other-partner-key", http.MethodPost, "/api/v1/reports", submission("polled")),
		}
		for i, st := range steps {
			if st.StatusCode >= 300 {
				t.Fatalf("step %d: %d %s", i, st.StatusCode, st.body)
			}
		}
		after, afterAll := feedback("chair"), feedback("evaluator")
		tl.requests, control.requests = 2, 2
		for id, a := range after {
			if a != before[id] {
				tl.claims++
				tl.recovered++
			}
		}
		for id, a := range afterAll {
			if a != beforeAll[id] {
				control.claims++
				control.recovered++
			}
		}
		if r := f.json("chair", http.MethodGet, "/api/v1/feedback?month="+time.Now().In(hotspot.London).Format("2006-01"), nil); r.StatusCode != http.StatusBadRequest {
			t.Errorf("a chair's feedback of the month under way: got %d, want 400", r.StatusCode)
		}
		report("feedback polling", tl, control)
	})

	t.Run("own reports probing a split", func(t *testing.T) {
		f.t = t
		// A's reports planted after one release, four of a category to a
		// cell: with the split shown at five reports in all, the next
		// release would show it exactly when another agency has one.
		next := cutoffs[0].AddDate(0, 0, 7)
		window := func(r truth) bool {
			w := hotspot.WeekStart(r.at)
			return !w.Before(next.In(hotspot.London).AddDate(0, 0, -364)) && w.Before(next) && r.grading[1:] != "E"
		}
		var fc attackFC
		var tl, control tally
		f.attackGet(&tl, "partner-key", "/api/v1/hotspots?as_of="+cutoffs[0].In(hotspot.London).Format(time.DateOnly), &fc)
		type target struct {
			cell     hexgrid.Cell
			category string
		}
		var targets []target
		for _, c := range fc.Features {
			cell, _ := hexgrid.Parse(c.ID)
			for _, cat := range []string{"weapons", "violence", "cuckooing", "missing_found", "child_exploitation", "stash_location"} {
				if _, shown := c.Properties.Categories[cat]; !shown && matches(rs, cell, func(r truth) bool { return window(r) && r.category == cat }) <= 2 {
					targets = append(targets, target{cell, cat})
					break
				}
			}
		}
		var planted []string
		for i, tg := range targets {
			ll, _ := tg.cell.Center()
			for j := range 4 {
				sub := submission(fmt.Sprintf("probe-%d-%d", i, j))
				sub["category"] = tg.category
				sub["location"] = map[string]float64{"lat": ll.Lat(), "lon": ll.Lon()}
				sub["observed_at"] = cutoffs[0].AddDate(0, 0, -3).Format(time.RFC3339)
				r := f.json("partner-key", http.MethodPost, "/api/v1/reports", sub)
				var made struct{ ID string }
				if err := json.Unmarshal(r.body, &made); err != nil || r.StatusCode != http.StatusCreated {
					t.Fatalf("probe: %d %s", r.StatusCode, r.body)
				}
				planted = append(planted, made.ID)
			}
		}
		if len(targets) == 0 {
			t.Fatal("no cell to probe")
		}
		// Sent in the week after the release, so counted in the next.
		if _, err := f.sql().Exec(context.Background(), `UPDATE reports SET counted_at = $1, seq = nextval('report_seq') WHERE id = ANY($2::uuid[])`,
			cutoffs[0].Add(24*time.Hour), planted); err != nil {
			t.Fatal(err)
		}
		if err := f.srv.Engine().SyncNow(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.publish(next)
		var after attackFC
		f.attackGet(&tl, "partner-key", "/api/v1/hotspots?as_of="+next.In(hotspot.London).Format(time.DateOnly), &after)
		shown := map[string]attackCell{}
		for _, c := range after.Features {
			shown[c.ID] = c
		}
		right, single, oldRight, oldSingle := 0, 0, 0, 0
		for _, tg := range targets {
			n := matches(rs, tg.cell, func(r truth) bool { return window(r) && r.category == tg.category })
			if c, ok := shown[tg.cell.String()]; ok {
				if _, split := c.Properties.Categories[tg.category]; split {
					tl.claims++
					if n >= 1 {
						right++
					}
					if n == 1 {
						single++
					}
				}
			}
			// The rule before: a split shown at K reports, the prober's included.
			if 4+n >= 5 {
				control.claims++
				oldRight++
				if n == 1 {
					oldSingle++
				}
			}
		}
		tl.judge(right, single)
		control.judge(oldRight, oldSingle)
		report("own reports probing a split", tl, control)
	})
}

// TestReleaseIgnoresWhatHappensAfterItsCutoff makes a write, an
// evaluation, an amendment, a withdrawal and an erasure after a release's
// cut-off: the map, an explanation, a snapshot frozen anew and the exports
// of one frozen before are byte-identical; the next release counts them.
func TestReleaseIgnoresWhatHappensAfterItsCutoff(t *testing.T) {
	f, _ := attackData(t, 3000)
	cutoff := hotspot.WeekStart(attackAnchor.Add(12*time.Hour)).AddDate(0, 0, -7)
	next := cutoff.AddDate(0, 0, 7)
	f.publish(cutoff)
	day := cutoff.In(hotspot.London).Format(time.DateOnly)
	get := func(caller, path string) []byte {
		t.Helper()
		r := f.json(caller, http.MethodGet, path, nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.StatusCode, r.body)
		}
		return r.body
	}
	var fc attackFC
	if err := json.Unmarshal(get("partner-key", "/api/v1/hotspots?as_of="+day), &fc); err != nil || len(fc.Features) == 0 {
		t.Fatalf("no cell in the release: %v", err)
	}
	cell, _ := hexgrid.Parse(fc.Features[0].ID)
	freeze := func() (id string, cells string) {
		r := f.json("chair", http.MethodPost, "/api/v1/snapshots", map[string]any{"title": "Week", "meeting_date": "2026-12-03",
			"parameters": map[string]any{"res": 8, "as_of": day}})
		var sn struct{ ID string }
		if err := json.Unmarshal(r.body, &sn); err != nil || r.StatusCode != http.StatusCreated {
			t.Fatalf("freeze: %d %s", r.StatusCode, r.body)
		}
		var content map[string]any
		_ = json.Unmarshal(get("chair", "/api/v1/snapshots/"+sn.ID+"/content.json?purpose=test"), &content)
		return sn.ID, fmt.Sprint(content["cells"])
	}
	snap, frozen := freeze()
	answers := func() map[string][]byte {
		out := map[string][]byte{}
		for _, path := range []string{"/api/v1/hotspots?as_of=" + day, "/api/v1/hotspots?res=7&window=91d&half_life=14d&as_of=" + day,
			"/api/v1/hotspots/" + cell.String() + "?as_of=" + day, "/api/v1/map-config"} {
			out["partner-key "+path] = get("partner-key", path)
			out["chair "+path] = get("chair", path)
		}
		for _, export := range []string{"hotspots.geojson", "hotspots.csv", "content.json"} {
			out[export] = get("chair", "/api/v1/snapshots/"+snap+"/"+export+"?purpose=test")
		}
		return out
	}
	before := answers()

	// The cell's reports of B, and what happens to them after the cut-off.
	rows, err := f.sql().Query(context.Background(), `SELECT id FROM reports WHERE agency_id = $1 AND cells[3] = $2 AND status = 'live' LIMIT 3`, f.agencyB.ID, int64(cell))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id uuid.UUID
		_ = rows.Scan(&id)
		ids = append(ids, id.String())
	}
	rows.Close()
	if len(ids) < 3 {
		t.Fatalf("%d reports of B in %s", len(ids), cell)
	}
	ll, _ := cell.Center()
	sub := submission("after-cutoff")
	sub["location"] = map[string]float64{"lat": ll.Lat(), "lon": ll.Lon()}
	sub["observed_at"] = cutoff.AddDate(0, 0, -10).Format(time.RFC3339)
	written := f.json("other-partner-key", http.MethodPost, "/api/v1/reports", sub)
	pending := submission("after-cutoff-evaluated")
	delete(pending, "grading")
	pending["location"], pending["observed_at"] = sub["location"], sub["observed_at"]
	waiting := f.json("school", http.MethodPost, "/api/v1/reports", pending)
	var w, e struct{ ID string }
	_ = json.Unmarshal(written.body, &w)
	_ = json.Unmarshal(waiting.body, &e)
	steps := []struct {
		what, caller, method, path string
		body                       any
		want                       int
	}{
		{"evaluation", "evaluator", http.MethodPost, reportPath(e.ID) + "/evaluation", map[string]any{"source": 1, "assessment": "A", "handling": "P", "outcome": "intelligence"}, http.StatusOK},
		{"amendment", "other-partner-key", http.MethodPatch, reportPath(ids[0]), map[string]any{"category": "weapons"}, http.StatusOK},
		{"withdrawal", "other-partner-key", http.MethodDelete, reportPath(ids[1]), nil, http.StatusOK},
		{"erasure", "admin", http.MethodPost, reportPath(ids[2]) + "/erase", map[string]string{"reason": "entered in error"}, http.StatusNoContent},
	}
	if written.StatusCode != http.StatusCreated || waiting.StatusCode != http.StatusCreated {
		t.Fatalf("write: %d, pending: %d", written.StatusCode, waiting.StatusCode)
	}
	for _, s := range steps {
		if r := f.json(s.caller, s.method, s.path, s.body); r.StatusCode != s.want {
			t.Fatalf("%s: %d %s", s.what, r.StatusCode, r.body)
		}
	}
	for k, after := range answers() {
		if k == "partner-key /api/v1/map-config" || k == "chair /api/v1/map-config" {
			continue // names the releases stored, which the next one will add to
		}
		if !bytes.Equal(before[k], after) {
			t.Errorf("after the cut-off, %s changed", k)
		}
	}
	if _, cells := freeze(); cells != frozen {
		t.Errorf("a snapshot frozen after the writes differs from one frozen before")
	}

	// The week after: the write and the evaluation count from then.
	if _, err := f.sql().Exec(context.Background(), `UPDATE reports SET counted_at = $1, seq = nextval('report_seq') WHERE id = ANY($2::uuid[])`,
		cutoff.Add(24*time.Hour), []string{w.ID, e.ID}); err != nil {
		t.Fatal(err)
	}
	f.srv = newServer(t, f.db, f.logs)
	f.http = httptestServer(t, f.srv)
	f.publish(next)
	var total int
	if err := f.sql().QueryRow(context.Background(), `SELECT count(*) FROM reports WHERE status = 'live' AND cells[3] = $1 AND assessment <> 'E'
		AND counted_at < $2 AND observed_at >= $3 AND date_trunc('week', observed_at AT TIME ZONE 'Europe/London') < date_trunc('week', $2::timestamptz AT TIME ZONE 'Europe/London')`,
		int64(cell), next, next.AddDate(0, 0, -364)).Scan(&total); err != nil {
		t.Fatal(err)
	}
	var nfc attackFC
	_ = json.Unmarshal(get("partner-key", "/api/v1/hotspots?as_of="+next.In(hotspot.London).Format(time.DateOnly)), &nfc)
	found := false
	for _, c := range nfc.Features {
		if c.ID == cell.String() {
			found = true
			if c.Properties.Reports < total-2 || c.Properties.Reports > total+2 {
				t.Errorf("the next release: %d published for %d reports counted before its cut-off", c.Properties.Reports, total)
			}
		}
	}
	if !found {
		t.Errorf("the next release does not show %s", cell)
	}
}
