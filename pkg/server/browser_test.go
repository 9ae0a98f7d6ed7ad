package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
)

// chromium is Debian's headless Chromium, which .ci/run installs.
func chromiumPath(t *testing.T) string {
	for _, p := range []string{os.Getenv("HEXWATCH_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	t.Fatal("no Chromium: install it (apt-get install chromium) or set HEXWATCH_CHROMIUM")
	return ""
}

// browser is a headless Chromium page that records console errors,
// exceptions and CSP violations.
type browser struct {
	t        *testing.T
	ctx      context.Context
	mu       sync.Mutex
	errors   []string
	requests []string // every URL the page asked for
}

func newBrowser(t *testing.T, width, height int) *browser {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.WindowSize(width, height), chromedp.UserDataDir(t.TempDir()))
	b := &browser{t: t}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc, chromedp.WithListener(b.record))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	b.ctx = ctx
	// The first action starts the browser: it runs on the browser's own
	// context, so that no timeout of a single action stops the browser.
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{})
		return err
	}))
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return b
}

// record keeps console errors, exceptions and CSP violations.
func (b *browser) record(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			for _, a := range e.Args {
				msg += string(a.Value) + " " + a.Description
			}
		}
	case *runtime.EventExceptionThrown:
		msg = e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError {
			msg = string(e.Entry.Source) + ": " + e.Entry.Text
		}
	case *network.EventRequestWillBeSent:
		b.mu.Lock()
		b.requests = append(b.requests, e.Request.URL)
		b.mu.Unlock()
	}
	if msg != "" {
		b.mu.Lock()
		b.errors = append(b.errors, msg)
		b.mu.Unlock()
	}
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("browser: %s: %v", expr, err)
	}
	return v
}

// poll waits until a JavaScript expression is truthy and returns it.
func poll[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Poll[T](expr))
	if err != nil {
		b.t.Fatalf("browser: waiting for %s: %v", expr, err)
	}
	return v
}

// noErrors fails the test on any console error or CSP violation so far.
func (b *browser) noErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) > 0 {
		b.t.Fatalf("the page logged errors: %q", b.errors)
	}
}

// noErrorsBut fails the test on any console error without want in it.
func (b *browser) noErrorsBut(want string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		if !strings.Contains(e, want) {
			b.t.Fatalf("the page logged errors: %q", b.errors)
		}
	}
}

// loaded waits until the map has drawn an answer newer than since.
func (b *browser) loaded(since string) string {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v := eval[string](b, `document.body.dataset.loaded || ""`)
		if v != "" && v != since {
			return v
		}
		if time.Now().After(deadline) {
			b.mu.Lock()
			errs := strings.Join(b.errors, "; ")
			b.mu.Unlock()
			b.t.Fatalf("the map did not load hotspots: status %q, errors: %s", eval[string](b, `(document.getElementById('status') || {}).textContent || ""`), errs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openAs opens the page in a browser of the size given, logs in as the
// fixture's caller role and waits for the map's first answer, which it
// returns with the browser.
func openAs(t *testing.T, f *fixture, role string, width, height int) (*browser, string) {
	t.Helper()
	f.t = t
	b := newBrowser(t, width, height)
	c := f.callers[role]
	b.login(f.http.URL, c.username, c.password)
	return b, b.loaded("")
}

// clickHex clicks a hexagon at a point where nothing covers it (a
// legend, a panel) and returns its cell.
func (b *browser) clickHex() string {
	b.t.Helper()
	type hit struct {
		X, Y float64
		Cell string
	}
	h := eval[hit](b, `(() => { for (const p of document.querySelectorAll('path.hex')) { const r = p.getBoundingClientRect();
		const x = r.left + r.width / 2, y = r.top + r.height / 2;
		if (document.elementFromPoint(x, y) === p) return { X: x, Y: y, Cell: p.dataset.cell }; } return null; })()`)
	if h.Cell == "" {
		b.t.Fatal("no hexagon can be clicked")
	}
	b.do(chromedp.MouseClickXY(h.X, h.Y))
	return h.Cell
}

// settled waits until the map has stopped moving and loading: the top
// list flies to its cell, and a move may load hexagons again.
func (b *browser) settled() {
	b.t.Helper()
	last := ""
	for stable := 0; stable < 8; {
		time.Sleep(100 * time.Millisecond)
		now := eval[string](b, `document.body.dataset.loaded + '|' + document.getElementById('status').textContent + '|' + location.search`)
		if now == last && !strings.Contains(now, "Loading") {
			stable++
		} else {
			stable = 0
		}
		last = now
	}
}

func (b *browser) dataset(name string) string {
	return eval[string](b, `document.body.dataset.`+name+` || ""`)
}

func (b *browser) count(selector string) int {
	return eval[int](b, fmt.Sprintf(`document.querySelectorAll(%q).length`, selector))
}

func (b *browser) login(base, username, password string) {
	b.t.Helper()
	b.do(chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("login-username")),
		chromedp.SendKeys(chromedp.ID("login-username"), username),
		chromedp.SendKeys(chromedp.ID("login-password"), password),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
	// The map, or for an admin the console.
	poll[bool](b, `!document.getElementById('app-view').hidden || !document.getElementById('admin-view').hidden`)
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	dir := "../../testdata/screenshots"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// hexesMatchAPI checks that the page drew one hexagon per feature of the
// answer the API gives the same caller for the page's last query.
func (b *browser) hexesMatchAPI(f *fixture, caller string) int {
	b.t.Helper()
	fc := b.answer(f, caller)
	drawn := b.count("path.hex")
	if drawn != len(fc.Features) || strconv.Itoa(drawn) != b.dataset("features") {
		b.t.Fatalf("the page drew %d hexagons (said %s); the API answers %d for %s", drawn, b.dataset("features"), len(fc.Features), b.dataset("query"))
	}
	return drawn
}

// answer is the API's answer to the page's last query for caller.
func (b *browser) answer(f *fixture, caller string) hotspotFC {
	b.t.Helper()
	query := b.dataset("query")
	if !strings.Contains(query, "as_of=") {
		// The page asked for the latest data: ask for the moment it got.
		query += "&as_of=" + url.QueryEscape(b.dataset("asOf"))
	}
	fc, r := f.hotspots(caller, "?"+query)
	if r.StatusCode != http.StatusOK {
		b.t.Fatalf("hotspots?%s: %d", query, r.StatusCode)
	}
	return fc
}

func TestBrowserMap(t *testing.T) {
	f := newFixture(t)
	loadDemo(t, f, 3000)
	base := f.http.URL

	t.Run("analyst", func(t *testing.T) {
		b, first := openAs(t, f, "analyst", 1280, 800)
		if n := b.hexesMatchAPI(f, "analyst"); n == 0 {
			t.Fatal("no hexagons drawn")
		}
		if b.count("path.service-area") != 1 {
			t.Fatal("the service area outline is missing")
		}
		// With no basemap (the default) the gazetteer's places label the map.
		if n := b.count(".place-label"); n == 0 {
			t.Fatal("no place labels on a map without a basemap")
		}
		b.screenshot("desktop-analyst")

		// Unticking a category re-requests without it.
		b.do(chromedp.Click(chromedp.CSS(`#categories input[value="drug_supply"]`)))
		poll[bool](b, `document.body.dataset.query.includes('categories=') && !document.body.dataset.query.includes('drug_supply')`)
		second := b.loaded(first)
		b.hexesMatchAPI(f, "analyst")

		// Moving the time slider re-requests as of that day.
		eval[bool](b, `(() => { const s = document.getElementById('as-of'); s.value = String(Math.floor(Number(s.max) / 2)); return s.dispatchEvent(new Event('change')); })()`)
		poll[bool](b, `document.body.dataset.query.includes('as_of=')`)
		third := b.loaded(second)
		b.hexesMatchAPI(f, "analyst")

		// The URL holds the view: a reload restores it.
		before := eval[string](b, `location.href`)
		query := b.dataset("query")
		b.do(chromedp.Navigate(before))
		b.loaded(third)
		ticked := eval[bool](b, `document.querySelector('#categories input[value="drug_supply"]').checked`)
		if ticked || b.dataset("query") != query {
			t.Fatalf("after a reload: drug_supply ticked %v, query %s, want %s", ticked, b.dataset("query"), query)
		}

		// The top hotspots are reachable from the keyboard.
		if n := b.count("#top-list li button"); n == 0 {
			t.Fatal("no keyboard-reachable list of top hotspots")
		}
		b.do(chromedp.Focus(chromedp.CSS("#top-list li button")), chromedp.KeyEvent("\r"),
			chromedp.WaitVisible(chromedp.CSS("#panel-body h2")))
		b.do(chromedp.Click(chromedp.ID("panel-close")))
		b.settled()

		// Clicking a hexagon explains it, with the reports behind it for an analyst.
		b.clickHex()
		b.do(chromedp.WaitVisible(chromedp.ID("panel")),
			chromedp.WaitVisible(chromedp.CSS("#panel-body table.reports td")))
		b.screenshot("desktop-analyst-panel")
		b.onlyAsked(base)
		b.noErrors()
	})

	t.Run("partner", func(t *testing.T) {
		f.t = t
		now := time.Now()
		f.publish(now.AddDate(0, 0, -7), now.AddDate(0, 0, -14))
		b, loaded := openAs(t, f, "partner", 1280, 800)
		b.hexesMatchAPI(f, "partner")
		// The time slider steps through the weekly releases, and the page
		// names the release shown.
		latest := hotspot.WeekStart(now).Format(time.DateOnly)
		oldest := hotspot.WeekStart(now).AddDate(0, 0, -14).Format(time.DateOnly)
		if got := eval[string](b, `document.getElementById('as-of').max + ' ' + document.getElementById('release-label').textContent + ' ' + document.getElementById('as-of-label').textContent`); got != "2 "+latest+" Release of "+latest {
			t.Fatalf("the release slider: %q, want 3 releases, the latest (%s) shown", got, latest)
		}
		eval[bool](b, `(() => { const s = document.getElementById('as-of'); s.value = '0'; return s.dispatchEvent(new Event('change')); })()`)
		poll[bool](b, `document.body.dataset.query.includes('as_of=`+oldest+`')`)
		loaded = b.loaded(loaded)
		if got := eval[string](b, `document.getElementById('release-label').textContent`); got != oldest {
			t.Fatalf("after stepping back: release %q shown, want %s", got, oldest)
		}
		eval[bool](b, `(() => { const s = document.getElementById('as-of'); s.value = s.max; return s.dispatchEvent(new Event('change')); })()`)
		loaded = b.loaded(loaded)
		b.clickHex()
		b.do(chromedp.WaitVisible(chromedp.CSS("#panel-body h2")))
		time.Sleep(300 * time.Millisecond)
		if n := b.count("#panel-body .reports"); n != 0 {
			t.Fatal("a partner sees the list of reports behind a hexagon")
		}
		b.axe("the partner's map with a cell explained")

		// A report submitted through the form is in the hotspots afterwards.
		asOf := "?as_of=" + url.QueryEscape(time.Now().UTC().Add(time.Minute).Truncate(time.Minute).Format(time.RFC3339))
		top, _ := f.hotspots("analyst", asOf)
		cell, _ := hexgrid.Parse(top.Features[0].ID)
		center, _ := cell.Center()
		version := b.dataset("version")
		b.do(chromedp.Click(chromedp.ID("report-open")),
			chromedp.WaitVisible(chromedp.ID("report-form")),
			chromedp.SetValue(chromedp.ID("r-lat"), strconv.FormatFloat(center[1], 'f', 6, 64)),
			chromedp.SetValue(chromedp.ID("r-lon"), strconv.FormatFloat(center[0], 'f', 6, 64)),
			chromedp.SetValue(chromedp.ID("r-category"), "cuckooing"))
		// The grading's choices come from the taxonomy, with what each means.
		grading := poll[string](b, `['r-source', 'r-assessment', 'r-handling', 'r-classification'].map((id) => {
			const s = document.getElementById(id); return s.options.length + ' ' + s.options[s.selectedIndex].text; }).join('|')`)
		// None is chosen for the partner: its agency grades its own, and the
		// report counts at once.
		if grading != "4 Choose how far the source can be trusted|6 Choose how the information was known|3 Choose who may see it|2 OFFICIAL" {
			t.Fatalf("the grading's choices: %q", grading)
		}
		b.do(chromedp.SetValue(chromedp.ID("r-source"), "2"), chromedp.SetValue(chromedp.ID("r-assessment"), "B"), chromedp.SetValue(chromedp.ID("r-handling"), "P"))
		b.do(chromedp.Click(chromedp.CSS("#report-form button[type=submit]")))
		result := poll[string](b, `document.getElementById('report-result').textContent`)
		if !strings.Contains(result, "stored") {
			t.Fatalf("submitting the form: %q", result)
		}
		// The page reloads; its published view has no data version to show
		// (and leaves the partner's own reports out), an analyst's counts it.
		b.loaded(loaded)
		if v := b.dataset("version"); v != "0" || version != "0" {
			t.Fatalf("a published page shows data version %s (was %s)", v, version)
		}
		after, _ := f.hotspots("analyst", asOf)
		if after.DataVersion <= top.DataVersion {
			t.Fatalf("after submitting: data version %d → %d", top.DataVersion, after.DataVersion)
		}
		for _, ft := range after.Features {
			if ft.ID == top.Features[0].ID && ft.Properties.Reports != top.Features[0].Properties.Reports+1 {
				t.Fatalf("cell %s has %d reports after the submission, want %d", ft.ID, ft.Properties.Reports, top.Features[0].Properties.Reports+1)
			}
		}

		// The API's errors show beside their fields (and the browser logs the 400).
		b.noErrors()
		b.do(chromedp.SetValue(chromedp.ID("r-lat"), "0.12"), chromedp.SetValue(chromedp.ID("r-lon"), "52.2"),
			chromedp.Click(chromedp.CSS("#report-form button[type=submit]")))
		msg := poll[string](b, `document.querySelector('[data-field="location"] .error').textContent`)
		if !strings.Contains(msg, "swapped") {
			t.Fatalf("location error shown: %q", msg)
		}
		b.noErrorsBut("status of 400")
	})

	t.Run("chair freezes a snapshot", func(t *testing.T) {
		b, _ := openAs(t, f, "chair", 1280, 800)
		b.do(chromedp.Click(chromedp.ID("snapshots-open")),
			chromedp.WaitVisible(chromedp.ID("freeze-form")),
			chromedp.SendKeys(chromedp.ID("f-title"), "Browser tasking meeting"),
			chromedp.SetValue(chromedp.ID("f-date"), "2026-12-03"),
			chromedp.Click(chromedp.CSS("#freeze-form button[type=submit]")))
		if msg := poll[string](b, `document.getElementById('freeze-result').textContent`); !strings.HasPrefix(msg, "Frozen") {
			t.Fatalf("freezing: %q", msg)
		}
		poll[bool](b, `[...document.querySelectorAll('#snapshot-list strong')].some((e) => e.textContent === 'Browser tasking meeting')`)
		links := eval[[]string](b, `[...document.querySelectorAll('#snapshot-list li:first-child a')].map((a) => a.getAttribute('href'))`)
		if len(links) != 4 || !strings.Contains(links[2], "briefing.pdf?purpose=") || !strings.Contains(links[3], "locations.csv?purpose=") {
			t.Fatalf("export links: %q", links)
		}
		cells := eval[int](b, `(() => { const m = document.querySelector('#snapshot-list li:first-child div').textContent.match(/(\d+) hexagons/); return Number(m[1]); })()`)
		loaded := b.dataset("loaded")
		b.do(chromedp.Click(chromedp.CSS("#snapshot-list li:first-child button")),
			chromedp.WaitVisible(chromedp.ID("frozen")))
		b.loaded(loaded)
		if n := b.count("path.hex"); n != cells {
			t.Fatalf("the frozen snapshot shows %d hexagons, it holds %d", n, cells)
		}
		b.screenshot("desktop-chair-snapshot")
		b.noErrors()
	})

	t.Run("phone", func(t *testing.T) {
		b, _ := openAs(t, f, "chair", 390, 844)
		b.hexesMatchAPI(f, "chair")
		if b.count("#report-open:not([hidden])") != 0 {
			t.Fatal("a chair is offered the report form")
		}
		b.axe("the chair's map on a phone")
		b.screenshot("phone-chair")
		b.noErrors()
	})
}

// onlyAsked fails the test if the page asked any host but base's: with the
// default configuration the map sends no request to a third party.
func (b *browser) onlyAsked(base string) {
	b.t.Helper()
	want, _ := url.Parse(base)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.requests) == 0 {
		b.t.Fatal("no request recorded: the check would prove nothing")
	}
	for _, r := range b.requests {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "data" && u.Scheme != "blob" && u.Host != want.Host) {
			b.t.Errorf("the page asked another host: %s", r)
		}
	}
}
