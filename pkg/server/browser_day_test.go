package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// overlapping is a script function of two lists of boxes that counts the
// pairs, one of each list, that overlap by more than half a pixel; given
// one list, the pairs of it.
const overlapping = `((as, bs) => { let n = 0; const one = bs === undefined;
	as.forEach((a, i) => (one ? as.slice(i + 1) : bs).forEach((b) => {
		if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) n++; }));
	return n; })`

// visibleBoxes is a script of the boxes of the visible elements sel finds.
func visibleBoxes(sel string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%q)].filter((e) => e.offsetParent && getComputedStyle(e).visibility !== 'hidden').map((e) => e.getBoundingClientRect())`, sel)
}

// TestBrowserWorkingDay is the map as each role meets it on a working day
// with the DEMO data: the comparisons it makes, what it exports, how it
// fails, how it reads at a glance on a desk and on a phone, and what it
// says in words.
func TestBrowserWorkingDay(t *testing.T) {
	f := newFixture(t)
	// The page's requests are charged by the time their computations take,
	// which the race detector multiplies.
	f.reconfigure(func(cfg *config.Config) { cfg.RateLimit = 0 })
	loadDemo(t, f, 3000)

	t.Run("first view", func(t *testing.T) {
		b, _ := openAs(t, f, "analyst", 1440, 900)
		b.settled()
		// Hexagons wide enough to see; ranks beside their cells, never on a
		// top-ten cell or on one another; no two place names overlapping,
		// and none under a rank.
		narrowest := eval[float64](b, `Math.min(...[...document.querySelectorAll('path.hex')].map((p) => p.getBoundingClientRect().width))`)
		if narrowest < 18 || b.count("path.hex") == 0 {
			t.Fatalf("%d hexagons, the narrowest %.1f px wide", b.count("path.hex"), narrowest)
		}
		top := `[...document.querySelectorAll('#top-list button')].map((b) => document.querySelector('path.hex[data-cell="' + b.dataset.cell + '"]').getBoundingClientRect())`
		if n := b.count(".rank-mark"); n < 5 {
			t.Fatalf("%d rank badges on the first view", n)
		}
		if n := eval[int](b, overlapping+`(`+visibleBoxes(".rank-mark")+`, `+top+`)`); n != 0 {
			t.Fatalf("%d rank badges lie on a top-ten hexagon", n)
		}
		if n := eval[int](b, overlapping+`(`+visibleBoxes(".rank-mark")+`)`); n != 0 {
			t.Fatalf("%d pairs of rank badges overlap", n)
		}
		if n := eval[int](b, overlapping+`(`+visibleBoxes(".place-label")+`)`); n != 0 {
			t.Fatalf("%d pairs of place names overlap", n)
		}
		if n := eval[int](b, overlapping+`(`+visibleBoxes(".place-label")+`, `+visibleBoxes(".rank-mark")+`)`); n != 0 {
			t.Fatalf("%d place names lie under a rank badge", n)
		}
		if eval[int](b, visibleBoxes(".place-label")+`.length`) == 0 {
			t.Fatal("every place name is hidden")
		}
		b.screenshot("first-view")
		b.axe("the first view")
		b.noErrors()
	})

	t.Run("one rank per cell", func(t *testing.T) {
		b, loaded := openAs(t, f, "analyst", 1440, 900)
		// Zoomed in on Peterborough, the list holds what is in view,
		// numbered by the rank the map's badges show.
		b.do(chromedp.Navigate(f.http.URL + "/?at=52.5749,-0.2503,12"))
		b.loaded(loaded)
		b.settled()
		cell := eval[string](b, `document.querySelector('#top-list li button').dataset.cell`)
		if !strings.Contains(b.dataset("query"), "bbox=") {
			t.Fatalf("after flying to a cell the map asks %s", b.dataset("query"))
		}
		if title := eval[string](b, `document.getElementById('top-title').textContent`); !strings.Contains(title, "in view") {
			t.Fatalf("the list of what is in view is titled %q", title)
		}
		fc := b.answer(f, "analyst")
		rank := map[string]int{}
		for _, ft := range fc.Features {
			rank[ft.ID] = ft.Properties.Rank
		}
		type item struct {
			Cell   string
			Number int
		}
		items := eval[[]item](b, `[...document.querySelectorAll('#top-list li')].map((li) => ({ Cell: li.querySelector('button').dataset.cell, Number: li.value }))`)
		badges := eval[[]string](b, `[...document.querySelectorAll('.rank-mark')].map((e) => e.textContent)`)
		for _, it := range items {
			if it.Number != rank[it.Cell] {
				t.Fatalf("the list numbers cell %s %d, its rank is %d", it.Cell, it.Number, rank[it.Cell])
			}
		}
		for _, badge := range badges {
			if !slices.ContainsFunc(items, func(it item) bool { return fmt.Sprint(it.Number) == badge }) {
				t.Fatalf("a badge says %s, which no item of the list is numbered (%+v)", badge, items)
			}
		}
		if rank[cell] == 0 {
			t.Fatalf("the chosen cell %s is not in the answer", cell)
		}
		b.noErrors()
	})

	t.Run("keyboard and words", func(t *testing.T) {
		b, _ := openAs(t, f, "analyst", 1440, 900)
		b.settled()
		// Enter on an item opens its cell (the list is drawn again as the
		// map flies there); Escape gives the focus back to the same item.
		cell := eval[string](b, `(() => { const b = document.querySelector('#top-list li:nth-child(2) button'); b.focus(); return b.dataset.cell; })()`)
		loaded := b.dataset("loaded")
		b.do(chromedp.KeyEvent("\r"))
		poll[bool](b, `!document.getElementById('panel').hidden`)
		b.loaded(loaded)
		b.settled()
		b.do(chromedp.KeyEvent(kb("Escape")))
		poll[bool](b, `document.getElementById('panel').hidden`)
		if got := eval[string](b, `document.activeElement.dataset.cell || document.activeElement.tagName`); got != cell {
			t.Fatalf("after Escape the focus is on %s, not the item of %s", got, cell)
		}
		if eval[bool](b, `/\b1 reports\b/.test(document.body.innerText)`) {
			t.Fatal(`the page says "1 reports"`)
		}
		if got := eval[string](b, `(() => { const n = document.querySelector('#panel-body') ; return n ? n.innerText : ''; })()`); strings.Contains(got, "1 reports") {
			t.Fatal(`the panel says "1 reports"`)
		}
		b.noErrors()
	})

	t.Run("offline", func(t *testing.T) {
		b, _ := openAs(t, f, "analyst", 1440, 900)
		b.settled()
		offline := func(on bool) {
			b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
					MatchedNetworkConditions: []*network.Conditions{{Offline: on, DownloadThroughput: -1, UploadThroughput: -1}}})
				return err
			}))
		}
		offline(true)
		b.do(chromedp.SetValue(chromedp.ID("window"), "180d"))
		eval[bool](b, `document.getElementById('window').dispatchEvent(new Event('change'))`)
		poll[bool](b, `document.body.dataset.mapState === 'error'`)
		// On the map itself, and no hexagon left under the new settings.
		state := eval[string](b, `document.getElementById('map-state').textContent`)
		onMap := eval[bool](b, `(() => { const s = document.getElementById('map-state').getBoundingClientRect(), m = document.getElementById('map').getBoundingClientRect();
			return s.top >= m.top && s.bottom <= m.bottom && s.left >= m.left && s.right <= m.right; })()`)
		if !strings.Contains(state, "Could not load") || !onMap || b.count("path.hex") != 0 {
			t.Fatalf("offline: %q on the map %v, %d hexagons drawn", state, onMap, b.count("path.hex"))
		}
		b.screenshot("map-offline")
		offline(false)
		loaded := b.dataset("loaded")
		b.do(chromedp.Click(chromedp.CSS("#map-state button")))
		b.loaded(loaded)
		if b.count("path.hex") == 0 || !eval[bool](b, `document.getElementById('map-state').hidden`) || !strings.Contains(b.dataset("query"), "window=180d") {
			t.Fatalf("after Try again: %d hexagons, state %q, query %s", b.count("path.hex"), b.dataset("mapState"), b.dataset("query"))
		}
		b.noErrorsBut("ERR_INTERNET_DISCONNECTED")
	})

	t.Run("no agency ticked", func(t *testing.T) {
		b, _ := openAs(t, f, "analyst", 1440, 900)
		b.settled()
		for b.count("#agencies input:checked") > 0 {
			b.do(chromedp.Click(chromedp.CSS("#agencies input:checked")))
		}
		poll[bool](b, `document.body.dataset.mapState === 'empty'`)
		if n := b.count("path.hex"); n != 0 {
			t.Fatalf("with no agency ticked the map draws %d hexagons", n)
		}
		if text := eval[string](b, `document.getElementById('map-state').textContent`); !strings.Contains(text, "No agency is ticked") {
			t.Fatalf("the map says %q", text)
		}
		loaded := b.dataset("loaded")
		b.do(chromedp.Click(chromedp.CSS("#map-state button")))
		b.loaded(loaded)
		if b.count("#agencies input:not(:checked)") != 0 || b.count("path.hex") == 0 {
			t.Fatal("Tick them all did not tick every agency and draw the map")
		}
		b.noErrors()
	})

	t.Run("csv of a whole cell", func(t *testing.T) {
		b, _ := openAs(t, f, "analyst", 1440, 900)
		b.settled()
		b.do(chromedp.Click(chromedp.CSS("#top-list button")))
		summary := poll[string](b, `(document.querySelector('.report-list p') || {}).textContent || ''`)
		var total int
		if _, err := fmt.Sscanf(summary[strings.Index(summary, "of ")+3:], "%d", &total); err != nil {
			t.Fatalf("the list says %q", summary)
		}
		link := eval[string](b, `document.querySelector('.report-list a').textContent`)
		if link != fmt.Sprintf("Download all %d reports as CSV", total) && !strings.Contains(link, fmt.Sprintf("%d", total)) {
			t.Fatalf("the export link says %q for %d reports", link, total)
		}
		body := evalAsync[string](b, `fetch(document.querySelector('.report-list a').href).then((r) => r.text())`)
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil || len(rows)-1 != total {
			t.Fatalf("the cell's CSV holds %d rows for %d reports (%v)", len(rows)-1, total, err)
		}
		// More than a page: every report the filter matches, not the first 1,000.
		r := f.json("analyst", http.MethodGet, "/api/v1/reports?format=csv&purpose=test", nil)
		all, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		var listed struct {
			N int `json:"number_matched"`
		}
		page := f.json("analyst", http.MethodGet, "/api/v1/reports?sort=-observed_at&limit=1", nil)
		if err2 := json.Unmarshal(page.body, &listed); err != nil || err2 != nil || len(all)-1 != listed.N || listed.N <= 1000 {
			t.Fatalf("an export of every report holds %d rows of %d (%v %v)", len(all)-1, listed.N, err, err2)
		}
		b.noErrors()
	})

	// Two published snapshots of the same release, frozen with half-lives
	// of 2 and 4 weeks, and two exact ones likewise.
	freeze := func(caller, title, halfLife, view string) string {
		r := f.json(caller, http.MethodPost, "/api/v1/snapshots", map[string]any{"title": title, "meeting_date": "2026-12-03",
			"parameters": map[string]any{"res": 8, "half_life": halfLife}, "view": view})
		var m snapshotMeta
		if err := json.Unmarshal(r.body, &m); err != nil || r.StatusCode != http.StatusCreated {
			t.Fatalf("freeze %s: %d %s", title, r.StatusCode, r.body)
		}
		return m.ID
	}
	freeze("chair", "Two-week view", "14d", "published")
	unlike := freeze("chair", "Four-week view", "28d", "published")
	freeze("analyst", "Exact two-week view", "14d", "full")
	exact := freeze("analyst", "Exact four-week view", "28d", "full")

	t.Run("unlike snapshots", func(t *testing.T) {
		b, _ := openAs(t, f, "chair", 1440, 900)
		b.do(chromedp.Click(chromedp.ID("snapshots-open")))
		row := fmt.Sprintf(`#snapshot-list li[data-id=%q]`, unlike)
		b.do(chromedp.WaitVisible(chromedp.CSS(row)), chromedp.Click(chromedp.CSS(row+" button:nth-of-type(2)")))
		text := poll[string](b, fmt.Sprintf(`(document.querySelector('%s .comparison dl') || {}).textContent`, row))
		counts := eval[string](b, fmt.Sprintf(`document.querySelector('%s .comparison dl + p').textContent`, row))
		// Recomputed under the later one's settings: the same release, so nothing moved.
		if !strings.Contains(text, "half-life 4 weeks") || !strings.Contains(text, "recomputed") || !strings.Contains(counts, "0 rising · 0 falling") {
			t.Fatalf("the comparison of unlike snapshots says %q, %q", text, counts)
		}
		frozen := poll[string](b, `document.getElementById('frozen').hidden ? '' : document.getElementById('frozen-text').textContent`)
		if !strings.Contains(frozen, "recomputed") {
			t.Fatalf("the map's banner says %q", frozen)
		}
		// One name per cell: the comparison's table names no place twice.
		places := eval[[]string](b, fmt.Sprintf(`[...document.querySelectorAll('%s table.changes td:first-child')].map((e) => e.textContent)`, row))
		seen := map[string]bool{}
		for _, p := range places {
			if seen[p] {
				t.Fatalf("the comparison names two cells %q: %q", p, places)
			}
			seen[p] = true
		}
		b.screenshot("compare-unlike-snapshots")
		b.axe("a comparison of unlike snapshots")
		b.noErrors()

		// The CSV and the PDF say which settings each side used.
		rows, err := csv.NewReader(bytes.NewReader(f.export("chair", unlike, "hotspots.csv"))).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Fatalf("CSV: %v", err)
		}
		col := func(name string) int { return slices.Index(rows[0], name) }
		if col("settings") < 0 || !strings.Contains(rows[1][col("settings")], "half-life 4 weeks") || !strings.Contains(rows[1][col("compared_settings")], "recomputed") {
			t.Fatalf("the CSV's settings: %q / %q", rows[0], rows[1])
		}
		names := map[string]bool{}
		for _, r := range rows[1:] {
			if names[r[col("place")]] {
				t.Fatalf("the CSV names two cells %q", r[col("place")])
			}
			names[r[col("place")]] = true
		}
		path := filepath.Join(t.TempDir(), "b.pdf")
		if err := os.WriteFile(path, f.export("chair", unlike, "briefing.pdf"), 0o644); err != nil {
			t.Fatal(err)
		}
		if text := strings.Join(strings.Fields(tool(t, "pdftotext", path, "-")), " "); !strings.Contains(text, "recomputed from its weekly release") || !strings.Contains(text, "half-life 4 weeks") {
			t.Fatalf("the briefing does not say which settings each side used:\n%s", text)
		}

		// Exact figures of other settings are not compared, and the page says why.
		a, _ := openAs(t, f, "analyst", 1440, 900)
		a.do(chromedp.Click(chromedp.ID("snapshots-open")))
		row = fmt.Sprintf(`#snapshot-list li[data-id=%q]`, exact)
		a.do(chromedp.WaitVisible(chromedp.CSS(row)), chromedp.Click(chromedp.CSS(row+" button:nth-of-type(2)")))
		if text := poll[string](a, fmt.Sprintf(`(document.querySelector('%s .comparison .error') || {}).textContent`, row)); !strings.Contains(text, "other settings") {
			t.Fatalf("an exact comparison of unlike snapshots says %q", text)
		}
		a.noErrorsBut("status of 409")
	})

	t.Run("radio buttons", func(t *testing.T) {
		b, _ := openAs(t, f, "chair", 1440, 900)
		b.screenshot("radios-chair")
		b.radiosBesideLabels()
		e, _ := openAs(t, f, "evaluator", 1440, 900)
		f.pendingReport()
		e.do(chromedp.Click(chromedp.ID("queue-open")), chromedp.WaitVisible(chromedp.ID("e-outcomes")))
		e.radiosBesideLabels()
		e.noErrors()
	})

	t.Run("phone", func(t *testing.T) {
		b, _ := openAs(t, f, "chair", 390, 844)
		b.settled()
		// One row of header; the legend folded until asked for, then on the map.
		// One row: a line crosses every item of the header.
		oneRow := eval[bool](b, `(() => { const rs = [...document.querySelectorAll('header.bar > *')].filter((e) => e.offsetParent).map((e) => e.getBoundingClientRect());
			return Math.max(...rs.map((r) => r.top)) < Math.min(...rs.map((r) => r.bottom)); })()`)
		height := eval[float64](b, `document.querySelector('header.bar').getBoundingClientRect().height`)
		if !oneRow || height > 56 {
			t.Fatalf("the phone's header is on one row %v, %.0f px high", oneRow, height)
		}
		if !eval[bool](b, `document.getElementById('legend-body').hidden`) {
			t.Fatal("the legend is open on a phone at first")
		}
		b.do(chromedp.Click(chromedp.ID("legend-toggle")))
		inMap := eval[bool](b, `(() => { const l = document.getElementById('legend').getBoundingClientRect(), m = document.getElementById('map').getBoundingClientRect();
			return !document.getElementById('legend-body').hidden && l.top >= m.top && l.bottom <= m.bottom; })()`)
		if !inMap {
			t.Fatalf("the opened legend is not within the map: legend %v, map %v", eval[[]float64](b, `(() => { const l = document.getElementById('legend').getBoundingClientRect(); return [l.top, l.bottom]; })()`),
				eval[[]float64](b, `(() => { const l = document.getElementById('map').getBoundingClientRect(); return [l.top, l.bottom]; })()`))
		}
		b.screenshot("phone-map")
		b.axe("the phone's map with its legend open")
		b.do(chromedp.Click(chromedp.ID("legend-toggle")), chromedp.Click(chromedp.ID("menu-toggle")), chromedp.WaitVisible(chromedp.ID("snapshots-open")))
		b.axe("the phone's menu")
		b.noErrors()
	})

	t.Run("admin roles", func(t *testing.T) {
		b := newBrowser(t, 1440, 900)
		b.login(f.http.URL, f.callers["admin"].username, f.callers["admin"].password)
		poll[bool](b, `document.body.dataset.admin?.startsWith('users')`)
		evaluator := f.callers["evaluator"].username
		role := eval[string](b, fmt.Sprintf(`document.querySelector('select[aria-label="Role of %s"]').value`, evaluator))
		offered := eval[[]string](b, `[...document.querySelectorAll('#a-user-role option')].map((o) => o.value)`)
		want := make([]string, len(auth.Roles))
		for i, r := range auth.Roles {
			want[i] = string(r)
		}
		if role != "evaluator" || !slices.Equal(offered, want) {
			t.Fatalf("the evaluator's row says %q; the roles offered %q, the matrix's %q", role, offered, want)
		}
		// An evaluator key, and self-grading set from the Agencies page.
		b.do(chromedp.Click(chromedp.CSS(`#admin-nav button[data-section="keys"]`)))
		poll[bool](b, `document.body.dataset.admin?.startsWith('keys')`)
		b.do(chromedp.SetValue(chromedp.ID("a-key-label"), "Force intelligence unit"),
			chromedp.SetValue(chromedp.ID("a-key-agency"), f.agencyA.Name), chromedp.SetValue(chromedp.ID("a-key-role"), "evaluator"),
			chromedp.Click(chromedp.CSS("#admin-body form button[type=submit]")), chromedp.WaitVisible(chromedp.ID("key-secret")))
		var keyRole string
		if err := f.sql().QueryRow(context.Background(), `SELECT role FROM api_keys WHERE label = 'Force intelligence unit'`).Scan(&keyRole); err != nil || keyRole != "evaluator" {
			t.Fatalf("the key made is %q (%v)", keyRole, err)
		}
		b.do(chromedp.Click(chromedp.CSS(`#admin-nav button[data-section="agencies"]`)))
		box := fmt.Sprintf(`input[aria-label="%s grades its own reports"]`, f.agencyC.Name)
		b.do(chromedp.WaitVisible(chromedp.CSS(box)))
		if eval[bool](b, `document.querySelector('`+box+`').checked`) {
			t.Fatal("the school is shown as grading its own reports")
		}
		b.do(chromedp.Click(chromedp.CSS(box)))
		poll[bool](b, `document.getElementById('admin-status').textContent.includes('count at once')`)
		ag, err := f.db.AgencyByID(context.Background(), f.agencyC.ID)
		if err != nil || !ag.SelfGrading {
			t.Fatalf("after ticking, the school grades its own: %v (%v)", ag.SelfGrading, err)
		}
		b.do(chromedp.Click(chromedp.CSS(box)))
		poll[bool](b, `document.getElementById('admin-status').textContent.includes('wait for a police evaluator')`)
		b.axe("the admin console's agencies")
		b.noErrors()
	})

	t.Run("plain words", func(t *testing.T) {
		b := newBrowser(t, 1280, 800)
		b.do(chromedp.Navigate(f.http.URL+"/"), chromedp.WaitVisible(chromedp.ID("login-username")),
			chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
		if said := poll[string](b, `document.getElementById('login-error').textContent`); said != "Enter your username. Enter your password." {
			t.Fatalf("an empty login is told %q", said)
		}
		e, _ := openAs(t, f, "evaluator", 1280, 800)
		f.pendingReport()
		e.do(chromedp.Click(chromedp.ID("queue-open")), chromedp.WaitVisible(chromedp.ID("evaluation-form")), chromedp.Click(chromedp.ID("e-submit")))
		if said := poll[string](e, `document.querySelector('#e-outcomes .error').textContent`); said != "Choose an outcome" {
			t.Fatalf("an evaluation without an outcome is told %q", said)
		}
		p, _ := openAs(t, f, "partner", 1280, 800)
		p.do(chromedp.Click(chromedp.ID("report-open")), chromedp.WaitVisible(chromedp.ID("report-form")),
			chromedp.SetValue(chromedp.ID("r-observed"), time.Now().Add(72*time.Hour).Format("2006-01-02T15:04")),
			chromedp.Click(chromedp.ID("report-submit")), chromedp.WaitVisible(chromedp.ID("report-summary")))
		said := eval[[]string](p, `[...document.querySelectorAll('#report-summary a')].map((a) => a.textContent)`)
		if !slices.Contains(said, "The date must be in the past") || !slices.Contains(said, "Choose what you saw") {
			t.Fatalf("the report form's summary says %q", said)
		}
		p.axe("the report form's plain errors")
		p.noErrorsBut("status of 400")
		e.noErrorsBut("status of 400")
	})

	t.Run("self-grading and my submissions", func(t *testing.T) {
		b, _ := openAs(t, f, "partner", 1280, 800)
		b.do(chromedp.Click(chromedp.ID("report-open")), chromedp.WaitVisible(chromedp.ID("report-form")))
		// The partner's agency grades its own: no grading is chosen for it.
		if got := eval[string](b, `['r-source', 'r-assessment', 'r-handling'].map((id) => document.getElementById(id).value).join('')`); got != "" {
			t.Fatalf("the grading is preselected as %q", got)
		}
		b.do(chromedp.SetValue(chromedp.ID("r-lat"), "52.2053"), chromedp.SetValue(chromedp.ID("r-lon"), "0.1218"),
			chromedp.SetValue(chromedp.ID("r-category"), "cuckooing"), chromedp.Click(chromedp.ID("report-submit")),
			chromedp.WaitVisible(chromedp.ID("report-summary")))
		said := eval[[]string](b, `[...document.querySelectorAll('#report-summary a')].map((a) => a.textContent)`)
		if !slices.Contains(said, "Choose how far the source can be trusted") || !slices.Contains(said, "Choose who may see it") {
			t.Fatalf("a report without a grading is told %q", said)
		}
		b.do(chromedp.SetValue(chromedp.ID("r-source"), "2"), chromedp.SetValue(chromedp.ID("r-assessment"), "B"),
			chromedp.SetValue(chromedp.ID("r-handling"), "P"), chromedp.Click(chromedp.ID("report-submit")))
		id := poll[string](b, `document.getElementById('report-result').dataset.id || ''`)
		ref := intel.Reference(uuid.MustParse(id))
		if text := eval[string](b, `document.getElementById('report-result').textContent`); !strings.Contains(text, ref) || strings.Contains(text, id) {
			t.Fatalf("the partner is told %q; its reference is %s", text, ref)
		}
		// My submissions: the latest first, by reference, each opening to its history.
		first := poll[string](b, fmt.Sprintf(`(document.querySelector('#own-list li') || {}).dataset?.id === %q ? document.querySelector('#own-list li summary').textContent : ''`, id))
		if !strings.HasPrefix(first, ref) {
			t.Fatalf("the latest submission reads %q", first)
		}
		b.do(chromedp.Click(chromedp.CSS("#own-list li summary")))
		steps := eval[[]string](b, `[...document.querySelectorAll('#own-list li:first-child .history li')].filter((e) => e.offsetParent).map((e) => e.textContent)`)
		if len(steps) < 2 || !strings.HasPrefix(steps[0], "Submitted") || !strings.Contains(steps[1], "Counted at once") {
			t.Fatalf("its history: %q", steps)
		}
		b.noErrorsBut("status of 400")
	})

	t.Run("queue totals", func(t *testing.T) {
		// More than a page waiting, and more counted reports near the first
		// than the map of it shows.
		var pending []string
		for range 205 {
			pending = append(pending, f.pendingReport())
		}
		// The queue is every test's: what this one adds leaves it after.
		defer func() {
			for _, id := range pending {
				if r := f.json("school", http.MethodDelete, "/api/v1/reports/"+id, nil); r.StatusCode >= 300 {
					t.Errorf("withdraw %s: %d %s", id, r.StatusCode, r.body)
				}
			}
		}()
		var nd bytes.Buffer
		for i := range 60 {
			sub := submission(fmt.Sprintf("near-%d-%s", i, uuid.NewString()[:6]))
			line, _ := json.Marshal(sub)
			nd.Write(append(line, '\n'))
		}
		if s := decodeSummary(t, bulk(f, "partner-key", "application/x-ndjson", &nd, "")); s.Rejected != 0 {
			t.Fatalf("near reports: %+v", s)
		}
		var waiting int
		if err := f.sql().QueryRow(context.Background(), `SELECT count(*) FROM reports WHERE status = 'pending_evaluation'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		b, _ := openAs(t, f, "evaluator", 1280, 800)
		b.do(chromedp.Click(chromedp.ID("queue-open")))
		said := poll[string](b, `document.getElementById('queue-count').textContent`)
		if !strings.HasPrefix(said, fmt.Sprintf("%d reports waiting", waiting)) || !strings.Contains(said, "oldest 200 are listed") {
			t.Fatalf("with %d waiting the queue says %q", waiting, said)
		}
		near := poll[string](b, `document.getElementById('e-near').textContent`)
		if !strings.Contains(near, "the newest 50 are shown") {
			t.Fatalf("the counted reports near the first: %q", near)
		}
		b.noErrors()
	})
}

// radiosBesideLabels fails unless every visible radio button's label
// starts beside it, on its first line, and wraps to two lines at most.
func (b *browser) radiosBesideLabels() {
	b.t.Helper()
	type radio struct {
		Name                            string
		Left, Right, Top, Bottom, Lines float64
		TextLeft, TextTop, TextBottom   float64
	}
	rs := eval[[]radio](b, `[...document.querySelectorAll('input[type=radio]')].filter((r) => r.offsetParent).map((r) => {
		const box = r.getBoundingClientRect();
		const text = [...r.parentElement.childNodes].find((n) => n.nodeType === 3 && n.textContent.trim());
		const range = document.createRange(); range.selectNodeContents(text);
		const lines = [...range.getClientRects()]; const first = lines[0];
		return { Name: r.name + ':' + r.value, Left: box.left, Right: box.right, Top: box.top, Bottom: box.bottom,
			Lines: new Set(lines.map((l) => Math.round(l.top))).size, TextLeft: first.left, TextTop: first.top, TextBottom: first.bottom };
	})`)
	if len(rs) == 0 {
		b.t.Fatal("no radio button is shown")
	}
	for _, r := range rs {
		if r.TextLeft < r.Right || r.TextLeft-r.Right > 16 || r.Bottom < r.TextTop || r.Top > r.TextBottom || r.Lines > 2 {
			b.t.Errorf("radio %s at [%.0f–%.0f, %.0f–%.0f]: its label starts at %.0f, %.0f–%.0f, on %.0f lines",
				r.Name, r.Left, r.Right, r.Top, r.Bottom, r.TextLeft, r.TextTop, r.TextBottom, r.Lines)
		}
	}
}
