package server_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/hexwatch/hexwatch/pkg/config"
)

// TestBrowserConcern: a member of the public, with no session, reports a
// concern by a tap on the map and by a place name; the page sets no cookie
// and no storage and asks no other host; Quick exit and Esc replace it, so
// Back does not return to it; axe-core is clean on a desktop and a phone.
func TestBrowserConcern(t *testing.T) {
	f := newFixture(t)
	neutral := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!doctype html><title>Weather</title><p>Sunny spells.</p>"))
	}))
	// The page solves its proofs of work at the default difficulty, as a visitor's would.
	difficulty := testConfig(t).ConcernDifficulty
	withConcerns(f, func(c *config.Config) { c.ConcernExitURL, c.ConcernDifficulty = neutral.URL+"/", difficulty })
	base := f.http.URL
	open := func(b *browser) {
		b.do(chromedp.Navigate(base + "/concern"))
		poll[bool](b, `document.body.dataset.ready === 'true'`)
	}
	fill := func(b *browser, details string) string {
		b.do(chromedp.Click(chromedp.ID("day-yesterday")), chromedp.SetValue(chromedp.ID("time"), "evening"),
			chromedp.Click(chromedp.ID("seen-short_visits")), chromedp.Click(chromedp.ID("seen-out_of_place")),
			chromedp.SendKeys(chromedp.ID("details"), details), chromedp.Click(chromedp.ID("send")))
		return poll[string](b, `document.getElementById('done').hidden ? '' : document.getElementById('reference').textContent`)
	}

	b := newBrowser(t, 1280, 900)
	open(b)
	b.axe("the concern page")
	// Sending nothing: a summary of what is missing, focused, each linked to its field.
	b.do(chromedp.Click(chromedp.ID("send")))
	if got := poll[string](b, `document.activeElement.id === 'error-summary' && document.getElementById('error-list').innerText`); !strings.Contains(got, "Tap the map") || !strings.Contains(got, "Tick at least one box") {
		t.Errorf("the error summary says %q", got)
	}
	b.axe("the concern page with its errors")

	// By a tap on the map: the middle of the service area.
	b.do(chromedp.ScrollIntoView(chromedp.ID("map")), chromedp.Click(chromedp.ID("map")))
	if near := poll[string](b, `document.getElementById('where-shown').textContent`); !strings.Contains(near, "near ") {
		t.Errorf("the tap is shown back as %q", near)
	}
	tapped := fill(b, "Cars stop outside a house for two minutes, all evening")
	if id := f.concernID(tapped); id == "" {
		t.Fatalf("the tapped concern %s is not stored", tapped)
	}
	powMs, _ := strconv.Atoi(eval[string](b, `document.body.dataset.powMs`))
	hashes, _ := strconv.Atoi(eval[string](b, `document.body.dataset.powHashes`))
	t.Logf("proof of work in Chromium: %d hashes in %d ms at difficulty %d (%.0f hashes/s)", hashes, powMs, difficulty, float64(hashes)/float64(max(powMs, 1))*1000)

	// By a place name, in a new page.
	open(b)
	b.do(chromedp.SendKeys(chromedp.ID("place"), "March"))
	eval[bool](b, `document.getElementById('place').dispatchEvent(new Event('change')), true`)
	if near := poll[string](b, `document.getElementById('where-shown').textContent`); near != "You chose near March." {
		t.Errorf("the place is shown back as %q", near)
	}
	named := fill(b, "Young lads I don't know hanging round the station with new phones")
	var precision float64
	if err := f.sql().QueryRow(context.Background(), `SELECT precision_m FROM reports WHERE external_ref = $1`, named).Scan(&precision); err != nil || precision < 300 {
		t.Errorf("the named place's precision %v m (%v), want its radius", precision, err)
	}
	b.axe("the concern page's thanks")

	// No cookie, no storage, no other host.
	if got := eval[string](b, `document.cookie + '|' + localStorage.length + '|' + sessionStorage.length`); got != "|0|0" {
		t.Errorf("cookie|localStorage|sessionStorage: %q", got)
	}
	var cookies int
	if err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base}})
		cookies = len(res.Cookies)
		return err
	})); err != nil || cookies != 0 {
		t.Errorf("the browser holds %d cookies of the site (%v)", cookies, err)
	}
	if dbs := evalAsync[int](b, `indexedDB.databases().then((d) => d.length)`); dbs != 0 {
		t.Errorf("the page made %d IndexedDB databases", dbs)
	}
	b.mu.Lock()
	for _, u := range b.requests {
		if !strings.HasPrefix(u, base+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page asked another host: %s", u)
		}
	}
	b.mu.Unlock()
	b.noErrors()

	// Quick exit and Esc replace the page: Back does not return to it.
	for _, how := range []string{"Quick exit", "Esc"} {
		e := newBrowser(t, 1280, 900)
		open(e)
		e.do(chromedp.SendKeys(chromedp.ID("details"), "half written"))
		if how == "Esc" {
			e.do(chromedp.KeyEvent(kb("Escape")))
		} else {
			e.do(chromedp.Click(chromedp.ID("quick-exit")))
		}
		e.waitFor(neutral.URL + "/")
		eval[bool](e, `setTimeout(() => history.back(), 0), true`)
		time.Sleep(500 * time.Millisecond)
		if href := eval[string](e, `location.href`); strings.Contains(href, "/concern") {
			t.Errorf("after %s, Back returned to %s", how, href)
		}
	}

	// On a phone.
	phone := newBrowser(t, 390, 844)
	open(phone)
	phone.axe("the concern page on a phone")
	if w := eval[[]int](phone, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
		t.Errorf("the phone's page is %d px wide in a window of %d", w[0], w[1])
	}
}

// waitFor waits until the page is at href, across the navigation there.
func (b *browser) waitFor(href string) {
	b.t.Helper()
	var at string
	for range 100 {
		ctx, cancel := context.WithTimeout(b.ctx, time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
		cancel()
		if at = v; err == nil && v == href {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("the page is at %q, not %q", at, href)
}
