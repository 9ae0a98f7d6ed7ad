package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// The attack suite: one partner API key (agency A) tries to recover
// other agencies' reports from what it may ask for, with the attacks that
// broke the small-cell suppression hexwatch had before its published
// view. Each attack also runs against the full view (an analyst's), where
// it must succeed: that shows the attack works and that the published
// view, not a broken attack, is why the partner learns nothing.

// truth is a stored report, as the attacker would like to know it.
type truth struct {
	agency   uuid.UUID
	cells    hexgrid.Cells // the cells that hold it, resolution 6 to 10
	at       time.Time
	category string
	grading  string
}

// attackData stores a deterministic data set (fixed times, record keys
// from the reports' references) in a database of its own and returns a
// fresh server over it, and the reports as stored.
func attackData(t *testing.T, n int) (*fixture, []truth) {
	t.Helper()
	f := newFixtureOn(t, storetest.OwnDB(t))
	loadDemoAt(t, f, n, attackAnchor)
	ctx := context.Background()
	if _, err := f.sql().Exec(ctx, `UPDATE reports SET record_key = ('x' || substr(md5(external_ref), 1, 8))::bit(32)::bigint`); err != nil {
		t.Fatal(err)
	}
	// A new server loads the keys afresh.
	f.srv = newServer(t, f.db, f.logs)
	f.http = httptestServer(t, f.srv)
	rows, err := f.sql().Query(ctx, `SELECT agency_id, cells, observed_at, category, source::text || assessment
		FROM reports WHERE status = 'live'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []truth
	for rows.Next() {
		var r truth
		var cells []int64
		if err := rows.Scan(&r.agency, &cells, &r.at, &r.category, &r.grading); err != nil {
			t.Fatal(err)
		}
		for i, c := range cells {
			r.cells[i] = hexgrid.Cell(c)
		}
		out = append(out, r)
	}
	return f, out
}

// attackAnchor is the day the synthetic year ends: a fixed past day, so
// that every run attacks the same data.
var attackAnchor = time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)

// tally is what an attack spent and learned.
type tally struct {
	requests, claims, recovered int
	// right is how many claims were right (see judge).
	right int
}

func (tl tally) String() string {
	return fmt.Sprintf("%d requests, %d claims, %d reports recovered", tl.requests, tl.claims, tl.recovered)
}

// others are the reports of agencies other than the attacker's.
func others(all []truth, attacker uuid.UUID) []truth {
	var out []truth
	for _, r := range all {
		if r.agency != attacker {
			out = append(out, r)
		}
	}
	return out
}

// matches counts the reports of rs in cell c (any resolution) that pass keep.
func matches(rs []truth, c hexgrid.Cell, keep func(truth) bool) int {
	n := 0
	for _, r := range rs {
		if r.cells.At(c.Resolution()) == c && keep(r) {
			n++
		}
	}
	return n
}

type attackCell struct {
	ID         string `json:"id"`
	Properties struct {
		Score      float64        `json:"score"`
		Reports    int            `json:"reports"`
		Categories map[string]int `json:"categories"`
		Rank       int            `json:"rank"`
		GiZ        *float64       `json:"gi_z"`
		LastSeen   string         `json:"last_seen"`
	} `json:"properties"`
}

type attackFC struct {
	Features []attackCell `json:"features"`
}

// get asks as caller and decodes a 200 answer into v; it counts the request.
func (f *fixture) attackGet(tl *tally, caller, path string, v any) int {
	f.t.Helper()
	tl.requests++
	r := f.json(caller, http.MethodGet, path, nil)
	if r.StatusCode == http.StatusOK {
		if err := json.Unmarshal(r.body, v); err != nil {
			f.t.Fatal(err)
		}
	}
	return r.StatusCode
}

// twoHalfLives asks for the explanation of the top cells with two
// half-lives: a week (or age band) holding one report gives, from its two
// decayed scores, the report's exact age and its weight harm × q.
func twoHalfLives(f *fixture, caller string, res int, rs []truth) tally {
	var tl tally
	asOf := attackAnchor.AddDate(0, 0, 1).Format(time.DateOnly)
	var fc attackFC
	f.attackGet(&tl, caller, fmt.Sprintf("/api/v1/hotspots?res=%d&as_of=%s", res, asOf), &fc)
	const h1, h2 = 14.0, 56.0
	type split struct {
		Start   string   `json:"start"`
		Label   string   `json:"label"`
		Reports *int     `json:"reports"`
		Score   *float64 `json:"score"`
	}
	type explanation struct {
		Parameters struct {
			AsOf string `json:"as_of"`
		} `json:"parameters"`
		Weeks   []split `json:"weeks"`
		Periods []split `json:"periods"`
		ByAge   []split `json:"by_age"`
	}
	for _, cell := range fc.Features[:min(40, len(fc.Features))] {
		var ex [2]explanation
		for i, h := range []float64{h1, h2} {
			f.attackGet(&tl, caller, fmt.Sprintf("/api/v1/hotspots/%s?as_of=%s&half_life=%gd", cell.ID, asOf, h), &ex[i])
		}
		at, _ := time.Parse(time.RFC3339, ex[0].Parameters.AsOf)
		c, _ := hexgrid.Parse(cell.ID)
		buckets := [2][]split{append(ex[0].Weeks, append(ex[0].Periods, ex[0].ByAge...)...), append(ex[1].Weeks, append(ex[1].Periods, ex[1].ByAge...)...)}
		for i := range buckets[0] {
			a, b := buckets[0][i], buckets[1][i]
			if a.Reports == nil || *a.Reports != 1 || a.Score == nil || b.Score == nil || *a.Score <= 0 {
				continue
			}
			age := math.Log(*b.Score / *a.Score) / (math.Ln2 * (1/h1 - 1/h2)) // days
			w := *a.Score * math.Exp2(age/h1)
			when := at.Add(-time.Duration(age * 24 * float64(time.Hour)))
			tl.claims++
			tl.recovered += matches(rs, c, func(r truth) bool {
				return r.at.Sub(when).Abs() < time.Minute && math.Abs(weight(r)-w) < 1e-6
			})
		}
	}
	return tl
}

// weight is a report's harm × q.
func weight(r truth) float64 {
	cat, _ := intel.CategoryByCode(r.category)
	src, _ := strconv.Atoi(r.grading[:1])
	return cat.Weight * intel.Grading{Source: src, Assessment: r.grading[1:]}.Confidence()
}

// window is the set of reports an answer counts, as a predicate: what
// the attacker hopes to subtract.
type window func(truth) bool

// fullWindow is the full view's set for as_of (a date: UTC midnight) and a
// window of days.
func fullWindow(asOf time.Time, days int) window {
	from := asOf.Add(-time.Duration(days) * 24 * time.Hour)
	return func(r truth) bool { return !r.at.Before(from) && !r.at.After(asOf) && r.grading[1:] != "E" }
}

// publishedWindow is the published view's set for as_of (a date) and a
// window of days: whole weeks, Europe/London.
func publishedWindow(asOf time.Time, days int) window {
	day := hotspot.DayStart(asOf.Add(12 * time.Hour))
	from, to := hotspot.WeekStart(day.AddDate(0, 0, -days)), hotspot.WeekStart(day)
	return func(r truth) bool {
		w := hotspot.WeekStart(r.at)
		return !w.Before(from) && w.Before(to) && r.grading[1:] != "E"
	}
}

// differ scores claims made by subtracting two answers: a claim recovers
// a report when the two sets really differ, in its cell, by exactly one
// report of another agency, of the claimed category.
func (tl *tally) differ(cs []claim, all []truth, attacker uuid.UUID, a, b window) {
	for _, c := range cs {
		tl.claims++
		var diff []truth
		for _, r := range all {
			if r.cells.At(c.cell.Resolution()) == c.cell && a(r) != b(r) {
				diff = append(diff, r)
			}
		}
		if len(diff) == 1 && diff[0].agency != attacker && diff[0].category == c.category {
			tl.recovered++
		}
	}
}

// walk asks for the map at each as_of and window of a sequence and
// subtracts consecutive answers of one window: a cell whose count moves by
// one, with one category moving by one, would isolate a report. With
// several windows the attacker claims only what every window shows at the
// same step (noise rarely agrees with itself); a claim recovers a report
// when any window's two sets really differ by exactly it.
func walk(f *fixture, caller string, asOfs []time.Time, windows []int, all []truth, published bool) tally {
	var tl tally
	type step struct {
		i int
		c claim
	}
	seen := map[step]int{}
	sets := map[int][][2]window{} // by step: each window's two sets
	for _, days := range windows {
		var prev attackFC
		var prevWin window
		for i, day := range asOfs {
			var fc attackFC
			f.attackGet(&tl, caller, fmt.Sprintf("/api/v1/hotspots?res=8&as_of=%s&window=%dd", day.Format(time.DateOnly), days), &fc)
			win := fullWindow(day, days)
			if published {
				win = publishedWindow(day, days)
			}
			if i > 0 {
				for _, c := range append(diffClaims(prev, fc), diffClaims(fc, prev)...) {
					seen[step{i, c}]++
				}
				sets[i] = append(sets[i], [2]window{prevWin, win})
			}
			prev, prevWin = fc, win
		}
	}
	for st, n := range seen {
		if n < len(windows) {
			continue
		}
		before := tl.recovered
		for _, pair := range sets[st.i] {
			probe := tally{}
			probe.differ([]claim{st.c}, all, f.agencyA.ID, pair[0], pair[1])
			if probe.recovered > 0 {
				tl.recovered = before + 1
			}
		}
		tl.claims++
	}
	return tl
}

// days lists n days back from the anchor, every step days.
func days(n, step int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = attackAnchor.AddDate(0, 0, -i*step)
	}
	return out
}

// claim is a guess that one report of category lies in cell.
type claim struct {
	cell     hexgrid.Cell
	category string
}

// diffClaims are the claims of later minus earlier: cells one report
// apart, one category apart.
func diffClaims(later, earlier attackFC) []claim {
	before := map[string]attackCell{}
	for _, c := range earlier.Features {
		before[c.ID] = c
	}
	var out []claim
	for _, c := range later.Features {
		b, ok := before[c.ID]
		if !ok || c.Properties.Reports-b.Properties.Reports != 1 {
			continue
		}
		var changed []string
		for cat, n := range c.Properties.Categories {
			if n != b.Properties.Categories[cat] {
				changed = append(changed, cat)
			}
		}
		if len(changed) == 1 && c.Properties.Categories[changed[0]]-b.Properties.Categories[changed[0]] == 1 {
			cell, _ := hexgrid.Parse(c.ID)
			out = append(out, claim{cell, changed[0]})
		}
	}
	return out
}

func TestAttacksOnThePublishedView(t *testing.T) {
	f, all := attackData(t, 6000)
	f.publish(weeksBack(9)...)
	f.publish(attackAnchor.AddDate(0, 0, 1))
	rs := others(all, f.agencyA.ID)
	report := func(name string, published, full tally) {
		t.Logf("%-34s partner key: %v; full view: %v", name, published, full)
		if published.recovered != 0 {
			t.Errorf("%s: the partner key recovered %d reports", name, published.recovered)
		}
		if full.recovered == 0 {
			t.Errorf("%s: the attack recovers nothing even from exact figures: it tests nothing", name)
		}
	}

	t.Run("two half-lives", func(t *testing.T) {
		f.t = t
		report("two half-lives, one cell", twoHalfLives(f, "partner-key", 8, rs), twoHalfLives(f, "analyst", 10, rs))
	})

	t.Run("as_of and from walks", func(t *testing.T) {
		f.t = t
		report("daily as_of walk, 21 days", walk(f, "partner-key", days(21, 1), []int{364}, all, true), walk(f, "analyst", days(21, 1), []int{365}, all, false))
		report("weekly walk, 3 windows, 8 weeks", walk(f, "partner-key", days(8, 7), []int{91, 182, 364}, all, true), walk(f, "analyst", days(8, 7), []int{91, 182, 364}, all, false))
		// Times finer than a day, and from, are not asked for at all.
		for _, q := range []string{"as_of=" + url.QueryEscape(attackAnchor.Add(-time.Second).Format(time.RFC3339)), "from=2026-01-01", "window=90d", "half_life=3650d", "res=10", "k=3"} {
			if r := f.json("partner-key", http.MethodGet, "/api/v1/hotspots?"+q, nil); r.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: got %d, want 400", q, r.StatusCode)
			}
		}
		// Nor is an explanation finer than the published resolution, even
		// of a cell that names its own.
		fine, _ := hexgrid.Of(52.2053, 0.1218, 10)
		if r := f.json("partner-key", http.MethodGet, "/api/v1/hotspots/"+fine.String(), nil); r.StatusCode != http.StatusBadRequest {
			t.Errorf("a res-10 explanation: got %d, want 400", r.StatusCode)
		}
	})

	t.Run("own placeholders", func(t *testing.T) {
		f.t = t
		// Cells holding one report of B, counted in the published window.
		week := hotspot.WeekStart(attackAnchor)
		counts := map[hexgrid.Cell]int{}
		for _, r := range rs {
			if r.at.Before(week) && r.at.After(week.AddDate(0, 0, -300)) {
				counts[r.cells.At(8)]++
			}
		}
		// The attacker plants its reports at the cell's centre, which must
		// lie in the service area (a cell on its edge may hold a report
		// while its centre lies outside).
		var targets []hexgrid.Cell
		for c, n := range counts {
			ll, _ := c.Center()
			if n == 1 && len(targets) < 5 && f.validator.Area.Contains(intel.Point{Lat: ll.Lat(), Lon: ll.Lon()}) {
				targets = append(targets, c)
			}
		}
		if len(targets) == 0 {
			t.Fatal("no cell of one report to attack")
		}
		var tl tally
		for i, c := range targets {
			ll, _ := c.Center()
			for j := range 4 {
				sub := submission(fmt.Sprintf("placeholder-%d-%d", i, j))
				sub["location"] = map[string]float64{"lat": ll.Lat(), "lon": ll.Lon()}
				sub["observed_at"] = attackAnchor.AddDate(0, 0, -20).Format(time.RFC3339)
				tl.requests++
				if r := f.json("partner-key", http.MethodPost, "/api/v1/reports", sub); r.StatusCode != http.StatusCreated {
					t.Fatalf("placeholder: %d %s", r.StatusCode, r.body)
				}
			}
		}
		asOf := attackAnchor.Format(time.DateOnly)
		var fc attackFC
		f.attackGet(&tl, "partner-key", "/api/v1/hotspots?as_of="+asOf, &fc)
		shown := map[string]bool{}
		for _, c := range fc.Features {
			shown[c.ID] = true
		}
		var full attackFC
		f.attackGet(&tl, "analyst", "/api/v1/hotspots?as_of="+asOf, &full)
		wouldOpen := 0
		for _, c := range full.Features {
			for _, target := range targets {
				if c.ID == target.String() && c.Properties.Reports >= 5 {
					wouldOpen++
				}
			}
		}
		for _, c := range targets {
			tl.claims++
			tl.requests++
			if shown[c.String()] || f.json("partner-key", http.MethodGet, "/api/v1/hotspots/"+c.String()+"?as_of="+asOf, nil).StatusCode != http.StatusNotFound {
				tl.recovered++
			}
		}
		report("own placeholders", tl, tally{recovered: wouldOpen})
	})

	t.Run("Gi* and rank of hidden cells", func(t *testing.T) {
		f.t = t
		asOf := attackAnchor.Format(time.DateOnly)
		var before, beforeFull attackFC
		var tl, full tally
		f.attackGet(&tl, "partner-key", "/api/v1/hotspots?as_of="+asOf, &before)
		f.attackGet(&full, "analyst", "/api/v1/hotspots?res=8&as_of="+asOf, &beforeFull)
		for i, c := range before.Features {
			if c.Properties.GiZ != nil || c.Properties.Rank != i+1 {
				t.Fatalf("cell %s: z %v, rank %d of the shown cells, want no z and rank %d", c.ID, c.Properties.GiZ, c.Properties.Rank, i+1)
			}
		}
		// B puts four heavy reports into each empty neighbour of the shown
		// cells: hidden cells, which must move no published figure.
		shown, held := map[string]bool{}, map[string]bool{}
		for _, c := range before.Features {
			shown[c.ID] = true
		}
		for _, c := range beforeFull.Features {
			held[c.ID] = true
		}
		var subs []map[string]any
		for _, c := range before.Features[:min(15, len(before.Features))] {
			cell, _ := hexgrid.Parse(c.ID)
			disk, _ := cell.Disk(1)
			for _, d := range disk {
				if shown[d.String()] || held[d.String()] || len(subs) >= 40 {
					continue
				}
				held[d.String()] = true
				ll, _ := d.Center()
				for j := range 4 {
					sub := submission(fmt.Sprintf("hidden-%s-%d", d, j))
					sub["category"] = "child_exploitation"
					sub["grading"] = map[string]any{"source": 1, "assessment": "A", "handling": "P"}
					sub["location"] = map[string]float64{"lat": ll.Lat(), "lon": ll.Lon()}
					sub["observed_at"] = attackAnchor.AddDate(0, 0, -10).Format(time.RFC3339)
					subs = append(subs, sub)
				}
			}
		}
		for _, sub := range subs {
			if r := f.json("other-partner-key", http.MethodPost, "/api/v1/reports", sub); r.StatusCode != http.StatusCreated {
				t.Fatalf("hidden report: %d %s", r.StatusCode, r.body)
			}
		}
		var after, afterFull attackFC
		f.attackGet(&tl, "partner-key", "/api/v1/hotspots?as_of="+asOf, &after)
		f.attackGet(&full, "analyst", "/api/v1/hotspots?res=8&as_of="+asOf, &afterFull)
		// What moved is what an attacker learns of the hidden cells.
		moved := func(a, b attackFC) int {
			n := 0
			old := map[string]attackCell{}
			for _, c := range a.Features {
				old[c.ID] = c
			}
			for _, c := range b.Features {
				o, ok := old[c.ID]
				if ok && (o.Properties.Rank != c.Properties.Rank || fmt.Sprint(o.Properties.GiZ) != fmt.Sprint(c.Properties.GiZ) ||
					o.Properties.Score != c.Properties.Score || o.Properties.Reports != c.Properties.Reports) {
					n++
				}
			}
			return n
		}
		tl.claims, tl.recovered = len(subs), moved(before, after)
		full.claims, full.recovered = len(subs), moved(beforeFull, afterFull)
		report("Gi*/rank of hidden cells (cells moved)", tl, full)
	})

	t.Run("snapshots", func(t *testing.T) {
		f.t = t
		// A chair freezes a week of daily snapshots; the attacker subtracts them.
		var tl tally
		var prev attackFC
		var prevWin window
		for d := range 8 {
			day := attackAnchor.AddDate(0, 0, -d)
			tl.requests++
			r := f.json("chair", http.MethodPost, "/api/v1/snapshots", map[string]any{"title": "Attack " + day.Format(time.DateOnly),
				"meeting_date": "2026-12-03", "parameters": map[string]any{"res": 8, "as_of": day.Format(time.DateOnly)}})
			var sn struct{ ID string }
			if err := json.Unmarshal(r.body, &sn); err != nil || r.StatusCode != http.StatusCreated {
				t.Fatalf("snapshot: %d %s", r.StatusCode, r.body)
			}
			var fc attackFC
			f.attackGet(&tl, "chair", "/api/v1/snapshots/"+sn.ID+"/hotspots.geojson?purpose=attack", &fc)
			for _, c := range fc.Features {
				cell, _ := hexgrid.Parse(c.ID)
				if c.Properties.GiZ != nil {
					t.Fatalf("snapshot cell %s publishes z", c.ID)
				}
				// Every frozen cell holds 5 reports outside its largest agency.
				from, week := hotspot.WeekStart(hotspot.DayStart(day).AddDate(0, 0, -364)), hotspot.WeekStart(day)
				by := map[uuid.UUID]int{}
				for _, r := range all {
					w := hotspot.WeekStart(r.at)
					if r.cells.At(8) == cell && w.Before(week) && !w.Before(from) && r.grading[1:] != "E" {
						by[r.agency]++
					}
				}
				total, largest := 0, 0
				for _, n := range by {
					total += n
					largest = max(largest, n)
				}
				if total-largest < 5 {
					t.Errorf("snapshot of %s shows cell %s with %d reports outside its largest agency", day.Format(time.DateOnly), c.ID, total-largest)
				}
			}
			win := publishedWindow(day, 364)
			if d > 0 {
				tl.differ(append(diffClaims(prev, fc), diffClaims(fc, prev)...), all, f.agencyA.ID, prevWin, win)
			}
			prev, prevWin = fc, win
		}
		report("daily snapshots subtracted", tl, walk(f, "analyst", days(8, 1), []int{365}, all, false))
	})
}

// TestPublishedCellsAgreeWithSQL checks a release against SQL over the
// raw reports table as it stood at the cut-off (reports counted before
// it): no cell is shown with fewer than 5 reports outside its largest
// agency, every cell with 9 or more is, and published counts lie within
// the perturbation of the true ones.
func TestPublishedCellsAgreeWithSQL(t *testing.T) {
	f, _ := attackData(t, 3000)
	cutoff := hotspot.WeekStart(attackAnchor.Add(12 * time.Hour))
	f.publish(cutoff)
	// Written after the cut-off: in no figure of its release.
	late := submission("after-the-cutoff")
	late["observed_at"] = cutoff.AddDate(0, 0, -3).Format(time.RFC3339)
	if r := f.json("other-partner-key", http.MethodPost, "/api/v1/reports", late); r.StatusCode != http.StatusCreated {
		t.Fatalf("late report: %d", r.StatusCode)
	}
	var pub, full attackFC
	var tl tally
	f.attackGet(&tl, "partner-key", "/api/v1/hotspots?window=182d&as_of="+cutoff.Format(time.DateOnly), &pub)
	f.attackGet(&tl, "analyst", "/api/v1/hotspots?res=8&window=365d&as_of="+attackAnchor.Format(time.DateOnly), &full)
	shown := map[string]attackCell{}
	for _, c := range pub.Features {
		shown[c.ID] = c
	}
	const sqlCount = `SELECT coalesce(sum(n), 0), coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM reports
		WHERE status = 'live' AND cells[$1 - 5] = $2 AND assessment <> 'E' AND counted_at < $3
		  AND date_trunc('week', observed_at AT TIME ZONE 'Europe/London') >= date_trunc('week', ($3::timestamptz - interval '182 days') AT TIME ZONE 'Europe/London')
		  AND date_trunc('week', observed_at AT TIME ZONE 'Europe/London') < date_trunc('week', $3::timestamptz AT TIME ZONE 'Europe/London')
		GROUP BY agency_id) a`
	checked, between, betweenShown := 0, 0, 0
	for _, c := range full.Features {
		cell, _ := hexgrid.Parse(c.ID)
		var total, largest int
		if err := f.sql().QueryRow(context.Background(), sqlCount, cell.Resolution(), int64(cell), cutoff).Scan(&total, &largest); err != nil {
			t.Fatal(err)
		}
		outside := total - largest
		p, ok := shown[c.ID]
		switch {
		case ok && outside < 5:
			t.Errorf("cell %s: shown with %d reports outside its largest agency", c.ID, outside)
		case !ok && outside >= 5+2*hotspot.ShowMargin:
			t.Errorf("cell %s: %d reports outside its largest agency, hidden", c.ID, outside)
		case ok && (p.Properties.Reports < total-2 || p.Properties.Reports > total+2):
			t.Errorf("cell %s: %d published for %d reports, beyond the perturbation", c.ID, p.Properties.Reports, total)
		}
		if outside >= 5 && outside < 5+2*hotspot.ShowMargin {
			between++
			if ok {
				betweenShown++
			}
		}
		checked++
	}
	if len(pub.Features) == 0 || checked == 0 {
		t.Fatalf("%d cells shown of %d checked", len(pub.Features), checked)
	}
	t.Logf("%d cells checked, %d shown; of the %d with 5 to 8 reports outside their largest agency, %d shown", checked, len(pub.Features), between, betweenShown)
}
