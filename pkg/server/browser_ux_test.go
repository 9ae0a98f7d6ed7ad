package server_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// The fixed score classes, as the page's legend states them: the test's
// own copy, so that a page whose classes move with the data fails.
var (
	scoreBreaks  = []float64{1, 3, 10, 30, 100, 300}
	scorePalette = []string{"#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"}
)

func scoreColour(score float64) string {
	i := 0
	for i < len(scoreBreaks) && score >= scoreBreaks[i] {
		i++
	}
	return scorePalette[i]
}

// fillsFollowFixedClasses checks that every drawn hexagon has the colour
// of its score's class on the fixed scale, and returns the colours by cell.
func (b *browser) fillsFollowFixedClasses(f *fixture, caller string) map[string]string {
	b.t.Helper()
	fc := b.answer(f, caller)
	drawn := eval[map[string]string](b, `Object.fromEntries([...document.querySelectorAll('path.hex')].map((p) => [p.dataset.cell, p.getAttribute('fill')]))`)
	if len(drawn) != len(fc.Features) || len(drawn) == 0 {
		b.t.Fatalf("drawn %d hexagons, the API answers %d", len(drawn), len(fc.Features))
	}
	for _, ft := range fc.Features {
		if want := scoreColour(ft.Properties.Score); drawn[ft.ID] != want {
			b.t.Fatalf("cell %s (score %g) is filled %s, its class is %s", ft.ID, ft.Properties.Score, drawn[ft.ID], want)
		}
	}
	return drawn
}

// axe runs axe-core (from the front end's npm packages) on the page as it
// stands and fails on serious or critical violations.
func (b *browser) axe(what string) {
	b.t.Helper()
	src, err := os.ReadFile("../../web/node_modules/axe-core/axe.min.js")
	if err != nil {
		b.t.Fatalf("axe-core: %v (run npm ci in web)", err)
	}
	eval[bool](b, string(src)+";true")
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
		r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
			.map((v) => v.id + ': ' + v.help + ' (' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ') + ')'))`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe: %v", err)
	}
	if len(found) > 0 {
		b.t.Errorf("axe on %s: %d serious or critical violations:\n%s", what, len(found), strings.Join(found, "\n"))
	}
}

// evalAsync evaluates a JavaScript expression whose value is a promise.
func evalAsync[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("browser: %s: %v", expr, err)
	}
	return v
}

// tabsTo presses Tab from the top of the page until selector has the
// focus, and returns how many presses it took (or fails after max).
func (b *browser) tabsTo(selector string, max int) int {
	b.t.Helper()
	// The first press from the top of the page lands on the skip link.
	eval[bool](b, `(window.scrollTo(0, 0), document.querySelector('a.skip').focus(), document.activeElement.classList.contains('skip'))`)
	for i := 2; i <= max; i++ {
		b.do(chromedp.KeyEvent("\t"))
		if eval[bool](b, fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, selector)) {
			return i
		}
	}
	b.t.Fatalf("%d presses of Tab did not reach %s (focus on %s)", max, selector, eval[string](b, `document.activeElement.outerHTML.slice(0, 120)`))
	return 0
}

func TestBrowserMapAtAGlance(t *testing.T) {
	f := newFixture(t)
	loadDemo(t, f, 3000)

	t.Run("analyst", func(t *testing.T) {
		b, first := openAs(t, f, "analyst", 1440, 900)
		analyst := f.callers["analyst"]

		// Colours are fixed classes of the score, the same whatever the filter.
		before := b.fillsFollowFixedClasses(f, "analyst")
		b.do(chromedp.Click(chromedp.CSS(`#categories input[value="drug_supply"]`)))
		second := b.loaded(first)
		after := b.fillsFollowFixedClasses(f, "analyst")
		same := 0
		for cell, colour := range after {
			if before[cell] == colour {
				same++
			}
		}
		if same == 0 {
			t.Fatal("no cell kept its colour across two filters")
		}
		b.do(chromedp.Click(chromedp.CSS(`#categories input[value="drug_supply"]`)))
		b.loaded(second)

		// The legend is a map control, in view at 1440×900, with the classes' fills.
		inView := eval[bool](b, `(() => { const r = document.querySelector('#map .legend').getBoundingClientRect(); return r.bottom <= innerHeight && r.right <= innerWidth && r.top >= 0; })()`)
		swatches := eval[[]string](b, `[...document.querySelectorAll('#legend-body > .row .fill')].map((e) => getComputedStyle(e).backgroundColor)`)
		if !inView || len(swatches) != len(scorePalette) {
			t.Fatalf("legend in view %v with %d score swatches", inView, len(swatches))
		}
		for i, sw := range swatches {
			// The legend lists the classes from the highest down, in the fills the hexagons use.
			hex := scorePalette[len(scorePalette)-1-i]
			var r, g, bl int
			fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &bl)
			if want := fmt.Sprintf("rgb(%d, %d, %d)", r, g, bl); sw != want {
				t.Fatalf("legend swatch %d is %s, the class's fill %s", i, sw, want)
			}
		}
		if b.count("#categories .swatch") != 0 {
			t.Fatal("category swatches would read as score colours")
		}

		// The classification banner is shown to readers of every report.
		if eval[bool](b, `document.getElementById('banner').hidden`) {
			t.Fatal("no OFFICIAL-SENSITIVE banner for an analyst")
		}

		// Rank numbers on the map never overlap; labels in the top list are unique.
		if overlaps := eval[int](b, `(() => { const rs = [...document.querySelectorAll('.rank-mark')].map((e) => e.getBoundingClientRect()); let n = 0;
			for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) { const a = rs[i], c = rs[j];
				if (a.left < c.right && c.left < a.right && a.top < c.bottom && c.top < a.bottom) n++; } return n; })()`); overlaps != 0 || b.count(".rank-mark") == 0 {
			t.Fatalf("%d rank marks, %d overlapping", b.count(".rank-mark"), overlaps)
		}
		labels := eval[[]string](b, `[...document.querySelectorAll('#top-list button')].map((e) => e.textContent.split(':')[0])`)
		seen := map[string]bool{}
		for _, l := range labels {
			if seen[l] {
				t.Fatalf("two top hotspots are both called %q: %q", l, labels)
			}
			seen[l] = true
		}

		// The top list flies to its cell, outlines it and explains it.
		cell := eval[string](b, `document.querySelector('#top-list button').dataset.cell`)
		b.do(chromedp.Click(chromedp.CSS("#top-list button")), chromedp.WaitVisible(chromedp.CSS("#panel-body h2")))
		poll[bool](b, fmt.Sprintf(`(() => { const p = document.querySelector('path.hex[data-cell=%q]'); return p && p.getAttribute('stroke') === '#1d70b8'; })()`, cell))
		if h := eval[string](b, `document.querySelector('#panel-body h2').textContent`); h != labels[0] {
			t.Fatalf("the panel is headed %q, the top list says %q", h, labels[0])
		}
		// The chosen cell stays clear of the panel.
		clear := poll[bool](b, fmt.Sprintf(`(() => { const p = document.querySelector('path.hex[data-cell=%q]').getBoundingClientRect();
			const panel = document.getElementById('panel').getBoundingClientRect(); return (p.left + p.right) / 2 < panel.left; })()`, cell))
		if !clear {
			t.Fatal("the panel covers the chosen cell")
		}

		// The reports behind the cell: "1–50 of N", N the cell's count, sortable, with a CSV export.
		fc := b.answer(f, "analyst")
		want := 0
		for _, ft := range fc.Features {
			if ft.ID == cell {
				want = ft.Properties.Reports
			}
		}
		summary := poll[string](b, `(document.querySelector('.report-list p') || {}).textContent || ''`)
		if !strings.Contains(summary, fmt.Sprintf("of %d", want)) || !strings.HasPrefix(summary, "Reports 1–") {
			t.Fatalf("report list says %q; the cell counts %d", summary, want)
		}
		if rows := b.count("table.reports tr:not(.narrative)") - 1; rows != min(want, 50) {
			t.Fatalf("%d report rows for %d reports", rows, want)
		}
		dates := eval[[]string](b, `[...document.querySelectorAll('table.reports tr:not(.narrative) td:first-child')].map((e) => e.textContent)`)
		if len(dates) == 0 || strings.Contains(dates[0], "T") {
			t.Fatalf("report dates %q", dates)
		}
		csv := evalAsync[string](b, `fetch(document.querySelector('.report-list a').href).then((r) => r.arrayBuffer())
			.then((b) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(b))`)
		if !strings.HasPrefix(csv, "\ufeffid,external_ref,agency,") {
			t.Fatalf("the CSV export begins %q", csv[:min(len(csv), 60)])
		}
		var disclosed int
		if err := f.sql().QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = 'disclose' AND actor = $1
			AND detail->>'export' = 'reports.csv'`, analyst.username).Scan(&disclosed); err != nil || disclosed != 1 {
			t.Fatalf("the CSV export is not audited as a disclosure (%d, %v)", disclosed, err)
		}
		b.axe("the analyst's map with a cell explained")

		// From the top of the page, Tab reaches the open panel's close
		// button quickly (hexagons are not in the Tab order); Escape closes
		// the panel and gives the focus back.
		n := b.tabsTo("#panel-close", 40)
		t.Logf("Tab from the top of the page reaches the open panel's close button in %d presses", n)
		if n := b.count("path.hex[tabindex='-1']"); n != b.count("path.hex") {
			t.Fatalf("%d of %d hexagons are kept out of the Tab order", n, b.count("path.hex"))
		}
		b.do(chromedp.KeyEvent(kb("Escape")))
		poll[bool](b, `document.getElementById('panel').hidden`)
		b.settled()

		// Double-click zooms and opens nothing.
		zoom := eval[int](b, `Number(new URLSearchParams(location.search).get('at').split(',')[2])`)
		at := eval[[]float64](b, fmt.Sprintf(`(() => { const r = document.querySelector('path.hex[data-cell=%q]').getBoundingClientRect();
			return [r.left + r.width / 2, r.top + r.height / 2]; })()`, cell))
		b.do(chromedp.MouseClickXY(at[0], at[1], chromedp.ClickCount(2)))
		poll[bool](b, fmt.Sprintf(`Number(new URLSearchParams(location.search).get('at').split(',')[2]) > %d`, zoom))
		time.Sleep(400 * time.Millisecond)
		if !eval[bool](b, `document.getElementById('panel').hidden`) {
			t.Fatal("a double-click opened the panel")
		}

		// The place search flies to a gazetteer place, with no basemap.
		b.do(chromedp.SetValue(chromedp.ID("place-search"), "Wisbech"), chromedp.Click(chromedp.CSS("#place-form button")))
		poll[bool](b, `(() => { const at = new URLSearchParams(location.search).get('at').split(',').map(Number);
			return Math.abs(at[0] - 52.666) < 0.05 && Math.abs(at[1] - 0.159) < 0.08; })()`)

		// An expired session asks to log in again over the page and keeps the view.
		b.settled()
		query := b.dataset("query")
		loaded := b.dataset("loaded")
		b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
			return err
		}))
		b.do(chromedp.Click(chromedp.CSS(`#categories input[value="weapons"]`)))
		b.do(chromedp.WaitVisible(chromedp.ID("relogin")))
		b.do(chromedp.SetValue(chromedp.ID("relogin-password"), analyst.password), chromedp.Click(chromedp.CSS("#relogin-form button")))
		b.loaded(loaded)
		// An answer to a move made before may come first: wait for the one asked after logging in again.
		poll[bool](b, `!document.getElementById('relogin').open && document.body.dataset.query.includes('categories=')`)
		if eval[bool](b, `document.getElementById('relogin').open`) || !strings.Contains(b.dataset("query"), "categories=") || query == b.dataset("query") {
			t.Fatalf("after logging in again: dialog open %v, query %s", eval[bool](b, `document.getElementById('relogin').open`), b.dataset("query"))
		}
		b.screenshot("desktop-analyst-glance")
		b.noErrorsBut("status of 401")
	})

	t.Run("partner reports", func(t *testing.T) {
		b, _ := openAs(t, f, "partner", 1280, 800)
		// A simpler sidebar: time, categories and the agency's own reports.
		for _, id := range []string{"res-field", "half-life-field", "banner"} {
			if !eval[bool](b, fmt.Sprintf(`document.getElementById(%q).hidden`, id)) {
				t.Fatalf("a partner sees #%s", id)
			}
		}
		poll[bool](b, `document.querySelectorAll('#own-list li').length > 0`)

		b.do(chromedp.Click(chromedp.ID("report-open")), chromedp.WaitVisible(chromedp.ID("report-form")))
		if v := eval[string](b, `document.getElementById('r-category').value`); v != "" {
			t.Fatalf("the category defaults to %q", v)
		}
		// An empty submit: a summary next to the button, with links to the fields.
		b.do(chromedp.Click(chromedp.ID("report-submit")), chromedp.WaitVisible(chromedp.ID("report-summary")))
		links := eval[[]string](b, `[...document.querySelectorAll('#report-summary a')].map((a) => a.getAttribute('href'))`)
		if len(links) < 2 || eval[string](b, `document.activeElement.id`) != "report-summary" {
			t.Fatalf("error summary links %q, focus on %s", links, eval[string](b, `document.activeElement.id`))
		}
		b.do(chromedp.Click(chromedp.CSS(`#report-summary a[href="#r-lat"]`)))
		if id := eval[string](b, `document.activeElement.id`); id != "r-lat" {
			t.Fatalf("the summary's location link focuses %q", id)
		}
		b.axe("the report form with errors")

		// In report mode a click on a hexagon sets the location and opens nothing.
		b.clickHex()
		poll[bool](b, `document.getElementById('r-lat').value !== ''`)
		time.Sleep(400 * time.Millisecond)
		if !eval[bool](b, `document.getElementById('panel').hidden`) || eval[bool](b, `document.getElementById('report').hidden`) {
			t.Fatal("a click on a hexagon in report mode opened the cell")
		}
		// Typed coordinates move the pin.
		pinAt := `(() => { const r = document.querySelector('.report-pin').getBoundingClientRect(); return [r.left, r.top]; })()`
		clicked := eval[[]float64](b, pinAt)
		lat := eval[string](b, `String(Number(document.getElementById('r-lat').value) + 0.01)`)
		b.do(chromedp.SetValue(chromedp.ID("r-lat"), lat))
		eval[bool](b, `document.getElementById('r-lat').dispatchEvent(new Event('change'))`)
		typed := eval[[]float64](b, pinAt)
		if math.Abs(typed[1]-clicked[1]) < 5 && math.Abs(typed[0]-clicked[0]) < 5 {
			t.Fatalf("the pin stayed at %v after typing a latitude 0.01° further north", typed)
		}

		// A typed time survives closing and reopening the form.
		b.do(chromedp.SetValue(chromedp.ID("r-observed"), "2026-11-28T21:15"),
			chromedp.Click(chromedp.ID("report-close")), chromedp.Click(chromedp.ID("report-open")))
		if v := eval[string](b, `document.getElementById('r-observed').value`); v != "2026-11-28T21:15" {
			t.Fatalf("reopening the form set the time to %q", v)
		}

		// A double press of Submit stores one report, and the form clears.
		var before int
		count := func() int {
			var n int
			if err := f.sql().QueryRow(context.Background(), `SELECT count(*) FROM reports WHERE agency_id = $1`, f.agencyA.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before = count()
		cell, _ := hexgrid.Parse(fixtureCell(8))
		center, _ := cell.Center()
		b.do(chromedp.SetValue(chromedp.ID("r-lat"), strconv.FormatFloat(center[1], 'f', 6, 64)),
			chromedp.SetValue(chromedp.ID("r-lon"), strconv.FormatFloat(center[0], 'f', 6, 64)),
			chromedp.SetValue(chromedp.ID("r-category"), "cuckooing"), chromedp.SetValue(chromedp.ID("r-source"), "2"),
			chromedp.SetValue(chromedp.ID("r-assessment"), "B"), chromedp.SetValue(chromedp.ID("r-handling"), "P"))
		eval[bool](b, `(() => { const s = document.getElementById('report-submit'); s.click(); s.click(); document.getElementById('report-form').requestSubmit(); return true; })()`)
		result := poll[string](b, `document.getElementById('report-result').dataset.id || ''`)
		time.Sleep(500 * time.Millisecond)
		if n := count(); n != before+1 {
			t.Fatalf("a double submit stored %d reports", n-before)
		}
		if text := eval[string](b, `document.getElementById('report-result').textContent`); !strings.Contains(text, intel.Reference(uuid.MustParse(result))) {
			t.Fatalf("the reference is not shown: %q", text)
		}
		if v := eval[string](b, `document.getElementById('r-lat').value + '|' + document.getElementById('r-category').value`); v != "|" {
			t.Fatalf("the form kept %q after storing", v)
		}
		b.screenshot("desktop-partner-form")
		b.noErrorsBut("status of 400")
	})

	t.Run("chair compares", func(t *testing.T) {
		b, _ := openAs(t, f, "chair", 1280, 800)
		chair := f.callers["chair"]
		b.do(chromedp.Click(chromedp.ID("snapshots-open")), chromedp.WaitVisible(chromedp.ID("freeze-form")))
		what := eval[string](b, `document.getElementById('freeze-what').textContent`)
		if !strings.Contains(what, "whole service area") || !strings.Contains(what, "resolution") {
			t.Fatalf("the freeze form says %q", what)
		}
		for i, title := range []string{"October meeting", "November meeting"} {
			b.do(chromedp.SetValue(chromedp.ID("f-title"), title), chromedp.SetValue(chromedp.ID("f-date"), fmt.Sprintf("2026-1%d-03", i)),
				chromedp.Click(chromedp.CSS("#freeze-form button[type=submit]")))
			poll[bool](b, fmt.Sprintf(`[...document.querySelectorAll('#snapshot-list strong')].some((e) => e.textContent === %q)`, title))
		}
		meta := eval[string](b, `document.querySelector('#snapshot-list li').textContent`)
		if !strings.Contains(meta, "as of") || !strings.Contains(meta, "resolution") || !strings.Contains(meta, "by "+chair.username) {
			t.Fatalf("the snapshot list says %q", meta)
		}
		loaded := b.dataset("loaded")
		b.do(chromedp.Click(chromedp.CSS("#snapshot-list li:first-child button:nth-of-type(2)")))
		if text := poll[string](b, `(document.querySelector('#snapshot-list .comparison') || {}).textContent`); !strings.Contains(text, "Against") {
			t.Fatalf("the comparison says %q", text)
		}
		b.loaded(loaded)
		if !eval[bool](b, `document.getElementById('window').disabled`) || eval[bool](b, `document.getElementById('change-legend').hidden`) {
			t.Fatal("comparing: live controls enabled or no change legend")
		}
		b.axe("the chair's snapshots and comparison")
		b.screenshot("desktop-chair-compare")
		b.noErrors()
	})

	t.Run("phone", func(t *testing.T) {
		b, _ := openAs(t, f, "partner", 390, 844)
		// On a phone the header's actions are in its menu.
		b.do(chromedp.Click(chromedp.ID("menu-toggle")), chromedp.Click(chromedp.ID("report-open")), chromedp.WaitVisible(chromedp.ID("report-form")))
		// The form is a bottom sheet: the map above it takes a tap.
		top := eval[float64](b, `document.getElementById('report').getBoundingClientRect().top`)
		if top < 300 {
			t.Fatalf("the form's sheet starts at %.0f px of 844", top)
		}
		b.do(chromedp.MouseClickXY(195, 150))
		poll[bool](b, `document.getElementById('r-lat').value !== ''`)
		small := eval[[]string](b, `[...document.querySelectorAll('#report button, #report select, #report input:not([type=checkbox]), #report .cat-row')]
			.filter((e) => e.offsetParent && e.getBoundingClientRect().height < 44).map((e) => e.id || e.outerHTML.slice(0, 60))`)
		if len(small) > 0 {
			t.Fatalf("touch targets under 44 px: %q", small)
		}
		b.screenshot("phone-partner-form")
		b.axe("the phone's report form")
		b.noErrors()
	})
}

// kb names a key for chromedp.KeyEvent.
func kb(name string) string {
	return map[string]string{"Escape": "\u001b"}[name]
}

func TestBrowserAdminConsole(t *testing.T) {
	f := newFixture(t)
	f.t = t
	b := newBrowser(t, 1280, 800)
	admin := f.callers["admin"]
	since := time.Now()
	b.do(chromedp.Navigate(f.http.URL+"/"), chromedp.WaitVisible(chromedp.ID("login-username")))
	b.axe("the login page")
	b.login(f.http.URL, admin.username, admin.password)
	// Admins land on the console: the page asks for nothing they may not see.
	poll[bool](b, `(document.body.dataset.admin || '').startsWith('users:')`)
	if !eval[bool](b, `document.getElementById('app-view').hidden`) {
		t.Fatal("an admin got the map")
	}
	denied := func() int {
		var n int
		if err := f.sql().QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = 'access_denied' AND actor = $1 AND at >= $2`,
			admin.username, since).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := denied(); n != 0 {
		t.Fatalf("logging in as an admin wrote %d access-denied events", n)
	}
	b.axe("the admin console's users")

	// A user added from the console.
	username := "console-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	b.do(chromedp.SetValue(chromedp.ID("a-user-username"), username), chromedp.SetValue(chromedp.ID("a-user-password"), "a long enough first password"),
		chromedp.SetValue(chromedp.ID("a-user-role"), "analyst"), chromedp.SetValue(chromedp.ID("a-user-agency"), f.agencyA.Name),
		chromedp.Click(chromedp.CSS("#admin-body form button[type=submit]")))
	poll[bool](b, fmt.Sprintf(`document.getElementById('admin-status').textContent.includes(%q)`, username))
	if _, err := f.db.UserByName(context.Background(), username); err != nil {
		t.Fatalf("the console's user is not stored: %v", err)
	}

	// A key created (its secret shown once), then revoked.
	b.do(chromedp.Click(chromedp.CSS(`#admin-nav button[data-section="keys"]`)))
	poll[bool](b, `(document.body.dataset.admin || '').startsWith('keys:')`)
	b.do(chromedp.SetValue(chromedp.ID("a-key-label"), "console test system"), chromedp.SetValue(chromedp.ID("a-key-agency"), f.agencyA.Name),
		chromedp.Click(chromedp.CSS("#admin-body form button[type=submit]")))
	secret := poll[string](b, `(document.querySelector('#key-secret code') || {}).textContent || (document.querySelector('#admin-body form .result') || {}).textContent || ''`)
	if !strings.HasPrefix(secret, "hxw_") {
		t.Fatalf("the new key's secret: %q", secret)
	}
	probe := &caller{name: "console-key", key: secret}
	f.callers["console-key"] = probe
	if r := f.json("console-key", http.MethodGet, "/api/v1/me", nil); r.StatusCode != http.StatusOK {
		t.Fatalf("the console's key does not work: %d", r.StatusCode)
	}
	eval[bool](b, `(window.confirm = () => true, true)`)
	eval[bool](b, `([...document.querySelectorAll('#admin-body tr')].find((tr) => tr.textContent.includes('console test system'))
		.querySelector('button').click(), true)`)
	poll[bool](b, `document.getElementById('admin-status').textContent.includes('revoked')`)
	if r := f.json("console-key", http.MethodGet, "/api/v1/me", nil); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a revoked key answers %d", r.StatusCode)
	}

	// The audit log, filtered; the retention review and snapshots open.
	for _, section := range []string{"audit", "review", "agencies", "snapshots"} {
		b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#admin-nav button[data-section=%q]`, section))))
		poll[bool](b, fmt.Sprintf(`(document.body.dataset.admin || '').startsWith(%q)`, section+":"))
		b.axe("the admin console's " + section)
	}
	b.do(chromedp.Click(chromedp.CSS(`#admin-nav button[data-section="audit"]`)))
	poll[bool](b, `(document.body.dataset.admin || '').startsWith('audit:')`)
	b.do(chromedp.SetValue(chromedp.ID("a-audit-action"), "key_revoked"), chromedp.Click(chromedp.CSS("#admin-body form button[type=submit]")))
	poll[bool](b, `[...document.querySelectorAll('#admin-body table td:nth-child(2)')].length > 0 &&
		[...document.querySelectorAll('#admin-body table td:nth-child(2)')].every((td) => td.textContent === 'key_revoked')`)
	b.screenshot("desktop-admin-console")

	// Anyone changes their own password; the page then asks them to log in with it.
	b.do(chromedp.Click(chromedp.ID("password-open")), chromedp.WaitVisible(chromedp.ID("password-dialog")),
		chromedp.SetValue(chromedp.ID("password-current"), admin.password), chromedp.SetValue(chromedp.ID("password-new"), "the admin's new long password"),
		chromedp.Click(chromedp.CSS("#password-form button[type=submit]")), chromedp.WaitVisible(chromedp.ID("login-form")))
	b.login(f.http.URL, admin.username, "the admin's new long password")
	poll[bool](b, `(document.body.dataset.admin || '').startsWith('users:')`)
	if n := denied(); n != 0 {
		t.Fatalf("the console wrote %d access-denied events", n)
	}
	b.noErrorsBut("status of 401")
}

// TestBrowserEvaluation: a school sends an ungraded report through the
// form; an evaluator evaluates it from the queue, by keyboard; the school
// sees the outcome under "My submissions"; the analyst's map counts it.
func TestBrowserEvaluation(t *testing.T) {
	f := newFixture(t)
	// The page's requests are charged by the time their computations take,
	// which the race detector multiplies: this test is of the page, and
	// TestRateLimitPerCaller of the limit.
	f.reconfigure(func(cfg *config.Config) { cfg.RateLimit = 0 })
	loadDemo(t, f, 600)
	lat, lon := 52.62+float64(time.Now().UnixNano()%1000)/1e6, 0.12
	cell, _ := hexgrid.Of(lat, lon, 8)
	cellReports := func() int {
		fc, _ := f.hotspots("analyst", "?res=8")
		for _, ft := range fc.Features {
			if ft.ID == cell.String() {
				return ft.Properties.Reports
			}
		}
		return 0
	}
	before := cellReports()

	school, _ := openAs(t, f, "school", 1280, 800)
	school.do(chromedp.Click(chromedp.ID("report-open")), chromedp.WaitVisible(chromedp.ID("report-form")))
	if eval[bool](school, `document.getElementById('r-suggest-row').hidden`) {
		t.Fatal("a school is not offered to leave the grading to the evaluator")
	}
	if !eval[bool](school, `document.getElementById('r-grading-fields').hidden`) {
		t.Fatal("the school's form asks for a grading")
	}
	school.do(chromedp.SetValue(chromedp.ID("r-lat"), strconv.FormatFloat(lat, 'f', 6, 64)), chromedp.SetValue(chromedp.ID("r-lon"), strconv.FormatFloat(lon, 'f', 6, 64)),
		chromedp.SetValue(chromedp.ID("r-category"), "child_exploitation"), chromedp.SetValue(chromedp.ID("r-narrative"), "Year 9 pupil seen collecting parcels at the station after school."),
		chromedp.Click(chromedp.ID("report-submit")))
	id := poll[string](school, `document.getElementById('report-result').dataset.id || ''`)
	if text := eval[string](school, `document.getElementById('report-result').textContent`); !strings.Contains(text, "evaluator") {
		t.Fatalf("the school is told %q", text)
	}
	poll[bool](school, fmt.Sprintf(`(document.querySelector('#own-list li[data-id=%q]') || {}).textContent?.includes('waiting for evaluation')`, id))
	if n := cellReports(); n != before {
		t.Fatalf("a report waiting for evaluation changed the cell: %d → %d", before, n)
	}

	evaluator, _ := openAs(t, f, "evaluator", 1280, 800)
	evaluator.do(chromedp.Click(chromedp.ID("queue-open")), chromedp.WaitVisible(chromedp.ID("queue-list")))
	poll[bool](evaluator, fmt.Sprintf(`document.querySelector('#queue-list button[data-id=%q]') !== null`, id))
	evaluator.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#queue-list button[data-id=%q]`, id))))
	poll[bool](evaluator, `document.getElementById('e-what').textContent.includes('Year 9 pupil')`)
	evaluator.axe("the evaluation queue")
	// By keyboard: source 1, assessment B, intelligence, then Ctrl+Enter.
	eval[bool](evaluator, `(document.getElementById('queue').focus(), true)`)
	evaluator.do(chromedp.KeyEvent("1"), chromedp.KeyEvent("b"), chromedp.KeyEvent("i"))
	if got := eval[string](evaluator, `document.getElementById('e-source').value + document.getElementById('e-assessment').value +
		(document.querySelector('#e-outcomes input:checked') || {}).value`); got != "1Bintelligence" {
		t.Fatalf("the keys set %q", got)
	}
	evaluator.do(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	if res := poll[string](evaluator, `document.getElementById('e-result').textContent`); res != "Recorded." {
		t.Fatalf("the evaluation: %q %q", res, eval[[]string](evaluator, `[...document.querySelectorAll('#evaluation-form .error')].map((e) => e.closest('[data-field]').dataset.field + ': ' + e.textContent)`))
	}
	evaluator.screenshot("desktop-evaluator-queue")
	evaluator.noErrors()

	if n := cellReports(); n != before+1 {
		t.Fatalf("after the evaluation the cell counts %d reports, want %d", n, before+1)
	}
	school.do(chromedp.Reload())
	poll[bool](school, fmt.Sprintf(`(document.querySelector('#own-list li[data-id=%q]') || {}).textContent?.includes('recorded as intelligence') || false`, id))
	school.screenshot("desktop-school-submissions")
	school.noErrors()

	analyst, _ := openAs(t, f, "analyst", 1280, 800)
	analyst.do(chromedp.Navigate(f.http.URL + "/?res=8"))
	analyst.loaded("")
	if analyst.count(fmt.Sprintf(`path.hex[data-cell=%q]`, cell.String())) != 1 {
		t.Fatal("the analyst's map does not draw the evaluated report's cell")
	}
}
