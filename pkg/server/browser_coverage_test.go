package server_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// TestBrowserCoverageAndActivity draws the layer "Where our information
// comes from" over an analyst's map and the admin console's table of the
// information each agency sends, each clean under axe-core.
func TestBrowserCoverageAndActivity(t *testing.T) {
	f := newFixtureOn(t, storetest.OwnDB(t))
	f.reportOf(f.agencyA, 3)
	f.reportOf(f.agencyB, 4)
	f.reportOf(f.agencyB, 200)

	b, _ := openAs(t, f, "analyst", 1280, 800)
	b.do(chromedp.Click(chromedp.ID("coverage-on")))
	poll[bool](b, `(document.body.dataset.coverage || '') !== ''`)
	if n := b.count("path.coverage-cell"); n == 0 || b.dataset("coverage") != "1" {
		t.Errorf("the coverage layer draws %d hexagons (answer: %s)", n, b.dataset("coverage"))
	}
	legend := eval[string](b, `document.getElementById('coverage-legend').textContent`)
	for _, want := range []string{"Where our information comes from", "Police and partners: 1 hexagons", "Dashed black outline"} {
		if !strings.Contains(legend, want) {
			t.Errorf("the legend lacks %q: %s", want, legend)
		}
	}
	b.axe("the coverage layer and its legend")
	b.do(chromedp.Click(chromedp.ID("coverage-on")))
	poll[bool](b, `document.getElementById('coverage-legend').hidden && document.querySelectorAll('path.coverage-cell').length === 0`)
	b.noErrors()

	a := newBrowser(t, 1280, 800)
	admin := f.callers["admin"]
	a.login(f.http.URL, admin.username, admin.password)
	poll[bool](a, `(document.body.dataset.admin || '').startsWith('users:')`)
	a.do(chromedp.Click(chromedp.CSS(`#admin-nav button[data-section="activity"]`)))
	poll[bool](a, `(document.body.dataset.admin || '').startsWith('activity:')`)
	rows := a.count("#admin-body table tr") - 1
	if rows < 3 || a.count("#admin-body svg.sparkline[role=img]") != rows {
		t.Errorf("the activity table: %d rows, %d sparklines", rows, a.count("#admin-body svg.sparkline"))
	}
	text := eval[string](a, `document.getElementById('admin-body').textContent`)
	if !strings.Contains(text, f.agencyB.Name) || !strings.Contains(text, "Information received, by agency") {
		t.Errorf("the activity table: %s", text)
	}
	a.axe("the admin console's information received")
	a.noErrors()
}
