package server_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// TestBrowserLocations is a tasking meeting's loop in Chromium: a chair
// makes a location of concern from a hotspot cell, tasks two agencies; a
// partner of one marks its action done and sees only its own; the chair
// sees the evaluation from the weekly release, and the briefing lists the
// location and both actions.
func TestBrowserLocations(t *testing.T) {
	f := newFixtureOn(t, storetest.OwnDB(t))
	f.reconfigure(func(cfg *config.Config) { cfg.RateLimit = 0 })
	loadDemo(t, f, 3000)
	started := time.Now().In(hotspot.London).AddDate(0, 0, -35).Format(time.DateOnly)
	due := time.Now().In(hotspot.London).AddDate(0, 0, 21).Format(time.DateOnly)
	const name = "Bus station stairwell"

	chair, _ := openAs(t, f, "chair", 1440, 900)
	chair.settled()
	// The top hotspot, from the list.
	chair.do(chromedp.Click(chromedp.CSS("#top-list li button")),
		chromedp.WaitVisible(chromedp.ID("make-location")), chromedp.Click(chromedp.ID("make-location")),
		chromedp.WaitVisible(chromedp.ID("lf-name")), chromedp.SendKeys(chromedp.ID("lf-name"), name),
		chromedp.SendKeys(chromedp.ID("lf-ref"), "MACE 7 Dec"),
		chromedp.Click(chromedp.CSS("#location-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("location-body")))
	poll[bool](chair, `document.querySelector('#location-body h2')?.textContent === '`+name+`'`)
	if n := eval[int](chair, `JSON.parse(JSON.stringify(document.body.dataset.locations || '0'))*1`); n != 1 {
		t.Fatalf("%d locations drawn on the map, want 1", n)
	}
	if chair.count("path.location-outline") != 1 {
		t.Fatalf("the location's outline is not on the map")
	}
	addAction := func(tactic, agency string) {
		t.Helper()
		chair.do(chromedp.WaitVisible(chromedp.ID("na-tactic")),
			chromedp.SetValue(chromedp.ID("na-tactic"), tactic),
			chromedp.SetValue(chromedp.ID("na-owner_agency"), agency),
			chromedp.SetValue(chromedp.ID("na-start_date"), started),
			chromedp.SetValue(chromedp.ID("na-due_date"), due),
			chromedp.SendKeys(chromedp.ID("na-note"), "Agreed at the meeting"))
		before := chair.count(".actions-list li[data-action]")
		chair.do(chromedp.Click(chromedp.CSS(".action-new button[type=submit]")))
		poll[bool](chair, `document.querySelectorAll('.actions-list li[data-action]').length === `+strconv.Itoa(before+1))
	}
	addAction("patrol_plan", f.agencyA.ID.String())
	addAction("detached_youth_work", f.agencyB.ID.String())
	chair.screenshot("location-panel")
	chair.axe("the location panel")

	// A partner of agency A sees the location and only its own action.
	partner, _ := openAs(t, f, "partner", 1440, 900)
	partner.do(chromedp.Click(chromedp.ID("locations-open")), chromedp.WaitVisible(chromedp.CSS("#location-list:not([aria-busy]) button")),
		chromedp.Click(chromedp.CSS("#location-list:not([aria-busy]) button")))
	poll[bool](partner, `document.querySelectorAll('.actions-list li[data-action]').length === 1`)
	if txt := eval[string](partner, `document.querySelector('.actions-list').textContent`); strings.Contains(txt, "youth work") || !strings.Contains(txt, "Patrol plan") {
		t.Fatalf("the partner of agency A sees %q", txt)
	}
	partner.axe("a partner's location panel")
	partner.do(chromedp.SetValue(chromedp.CSS(".action-update select"), "done"),
		chromedp.SendKeys(chromedp.CSS(".action-update textarea"), ". Done on four evenings"),
		chromedp.Click(chromedp.CSS(".action-update button[type=submit]")))
	poll[bool](partner, `/ · done on /.test(document.querySelector('.actions-list li[data-action]')?.textContent || '')`)

	// The location enters the next release: here, last week's is computed
	// after its area is moved back three weeks.
	backdateAreas(t, f, 21*24*time.Hour)
	f.publish(time.Now().AddDate(0, 0, -7))
	chair.do(chromedp.Click(chromedp.ID("locations-open")), chromedp.WaitVisible(chromedp.CSS("#location-list:not([aria-busy]) button")),
		chromedp.Click(chromedp.CSS("#location-list:not([aria-busy]) button")))
	poll[string](chair, `document.getElementById('ev-reading')?.textContent || ''`)
	chair.do(chromedp.SetValue(chromedp.ID("ev-weeks"), "13"), chromedp.Click(chromedp.ID("ev-go")))
	reading := poll[string](chair, `document.querySelector('#ev-out table') && document.getElementById('ev-reading')?.textContent || ''`)
	if !strings.Contains(eval[string](chair, `document.getElementById('ev-out').textContent`), "weekly release of") {
		t.Fatalf("the chair's evaluation does not say it is read from a release: %q", eval[string](chair, `document.getElementById('ev-out').textContent`))
	}
	t.Logf("the chair reads: %s", reading)
	if txt := eval[string](chair, `document.querySelector('.actions-list').textContent`); !strings.Contains(txt, "done on") || !strings.Contains(txt, "youth work") {
		t.Fatalf("the chair sees %q", txt)
	}
	if chair.count(".timeline rect") == 0 || chair.count(".timeline line.action-mark") == 0 {
		t.Fatalf("the harm timeline has %d bars and %d action marks", chair.count(".timeline rect"), chair.count(".timeline line.action-mark"))
	}
	chair.screenshot("location-evaluation")
	chair.axe("the location's evaluation")
	chair.noErrors()

	// A location picked hexagon by hexagon on the map.
	chair.do(chromedp.Click(chromedp.ID("locations-open")), chromedp.WaitVisible(chromedp.ID("location-new")),
		chromedp.Click(chromedp.ID("location-new")), chromedp.WaitVisible(chromedp.ID("lf-name")))
	type hit struct {
		X, Y float64
		Cell string
	}
	hits := eval[[]hit](chair, `[...document.querySelectorAll('path.hex')].map((p) => { const r = p.getBoundingClientRect();
		const x = r.left + r.width / 2, y = r.top + r.height / 2;
		return document.elementFromPoint(x, y) === p ? { X: x, Y: y, Cell: p.dataset.cell } : null; }).filter(Boolean).slice(0, 2)`)
	if len(hits) < 2 {
		t.Fatalf("%d hexagons can be clicked", len(hits))
	}
	picked := map[string]bool{}
	for _, h := range hits {
		chair.do(chromedp.MouseClickXY(h.X, h.Y))
		picked[h.Cell] = true
		time.Sleep(400 * time.Millisecond) // a click is a click once no second one follows it
	}
	if txt := eval[string](chair, `document.getElementById('lf-area').textContent`); !strings.Contains(txt, "2 hexagons") {
		t.Fatalf("after picking two hexagons the form says %q (pick %v, panel %v)", txt, eval[bool](chair, `document.getElementById('lf-pick').checked`),
			eval[bool](chair, `document.getElementById('panel').hidden`))
	}
	chair.do(chromedp.SendKeys(chromedp.ID("lf-name"), "Picked arcade"), chromedp.Click(chromedp.CSS("#location-form button[type=submit]")))
	poll[bool](chair, `document.querySelector('#location-body h2')?.textContent === 'Picked arcade'`)
	var picks struct {
		Features []struct {
			Properties struct {
				Name  string
				Cells []string
			}
		}
	}
	mustJSON(t, f.json("partner-key", http.MethodGet, "/api/v1/locations", nil).body, &picks)
	for _, ft := range picks.Features {
		if ft.Properties.Name == "Picked arcade" && (len(ft.Properties.Cells) != 2 || !picked[ft.Properties.Cells[0]] || !picked[ft.Properties.Cells[1]]) {
			t.Fatalf("the picked location holds %v, the chair picked %v", ft.Properties.Cells, picked)
		}
	}

	// The meeting pack: the briefing lists the location and both actions.
	r := f.json("chair", http.MethodPost, "/api/v1/snapshots", map[string]any{"title": "Tasking", "meeting_date": time.Now().Format(time.DateOnly),
		"parameters": map[string]any{"res": 8}})
	var sn struct{ ID string }
	if err := json.Unmarshal(r.body, &sn); err != nil || r.StatusCode != http.StatusCreated {
		t.Fatalf("freeze: %d %s", r.StatusCode, r.body)
	}
	path := filepath.Join(t.TempDir(), "briefing.pdf")
	if err := os.WriteFile(path, f.export("chair", sn.ID, "briefing.pdf"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(tool(t, "pdftotext", "-layout", path, "-")), " ")
	for _, want := range []string{"Locations and actions", name, "Patrol plan", "Detached youth work", f.agencyA.Name, f.agencyB.Name} {
		if !strings.Contains(text, want) {
			t.Errorf("the briefing does not say %q", want)
		}
	}
	csv := string(f.export("chair", sn.ID, "locations.csv"))
	if !strings.Contains(csv, "Patrol plan") || !strings.Contains(csv, "Done on four evenings") {
		t.Errorf("the locations CSV lacks the actions: %s", csv)
	}
}
