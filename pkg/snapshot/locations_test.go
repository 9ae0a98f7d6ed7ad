package snapshot

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/places"
	"github.com/hexwatch/hexwatch/pkg/snapshot/pdfwords"
)

// The agencies and tactics of the test locations page.
var (
	testAgencies = []string{"Peterborough City Council", "Cambridgeshire Constabulary", "British Transport Police", "Thomas Deacon Academy"}
	testTactics  = []string{"Closure order", "Licensing review", "Patrol plan", "Safeguarding visit", "CCTV review"}
)

// locationsPage is two open locations and a closed one with a long name,
// and 25 actions over four agencies: 20 to do, three of them overdue,
// four done since the previous snapshot and one cancelled. Its notes
// hold the word "Informant", which the briefing must not print.
func locationsPage() LocationsPage {
	p := LocationsPage{
		AsAt:  time.Date(2026, 11, 30, 19, 5, 0, 0, time.UTC),
		Since: "Weekly tasking 2026-11-23, frozen 2026-11-23 10:04",
		Locations: []LocationBrief{
			{Name: "Millfield Parade", MeetingRef: "TM-2026-041", Owner: testAgencies[0], Status: "open", Review: "2026-12-14", Cells: 7, Res: 9,
				Evaluation: "Since the closure order, reports in its area fell from 14 to 5 in four weeks, against 9 to 8 in the hexagons around it. " +
					"Too few reports to tell a change from chance."},
			{Name: "Peterborough station underpass", MeetingRef: "TM-2026-044", Owner: testAgencies[2], Status: "open", Cells: 3, Res: 9},
			{Name: "Former Orton Goldhay community centre and the car park behind it on the Goldhay Way side", MeetingRef: "TM-2026-017",
				Owner: testAgencies[1], Status: "closed", ClosedReason: "Premises demolished; no reports in its area for twelve weeks", Cells: 4, Res: 9},
		},
	}
	for i := range 25 {
		a := ActionBrief{
			Location: p.Locations[i%2].Name, Tactic: testTactics[i%len(testTactics)], Owner: testAgencies[i%len(testAgencies)],
			Start: "2026-11-02", Due: fmt.Sprintf("2026-12-%02d", 1+i), Status: []string{"planned", "in_progress"}[i%2],
			Note: "Informant says the flat is used on Fridays",
		}
		switch {
		case i < 3:
			a.Due, a.Overdue = fmt.Sprintf("2026-11-%02d", 20+i), true
		case i >= 20 && i < 24:
			a.Status, a.DoneAt, a.DoneSinceLast = "done", fmt.Sprintf("2026-11-%02d", i+4), true
		case i == 24:
			a.Status = "cancelled"
		}
		p.Actions = append(p.Actions, a)
	}
	return p
}

// TestBriefingLocations renders a briefing with and without its
// locations pages and reads them as a reader would: the pages before are
// the same words; the locations pages name every location, agency and
// overdue action, spill onto a second page with their table headed
// again, print no note, and no two words overlap on any page.
// HEXWATCH_BRIEFING_PICTURES names a directory to keep the briefings in.
func TestBriefingLocations(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext is missing: install poppler-utils (make tools)")
	}
	g, err := places.LoadGazetteer("")
	if err != nil {
		t.Fatal(err)
	}
	area, err := intel.LoadServiceArea("")
	if err != nil {
		t.Fatal(err)
	}
	c := briefingContent(t, g, oneCity)
	b := Briefing{Content: c, SHA256: "0", Area: area.Shape, Places: g.Places()}
	dir := cmp.Or(os.Getenv("HEXWATCH_BRIEFING_PICTURES"), t.TempDir())
	read := func(name string, b Briefing) ([]pdfwords.Word, int) {
		t.Helper()
		out, err := PDF(b)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".pdf")
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		words, pages, err := pdfwords.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= pages; i++ {
			for _, o := range pdfwords.Overlaps(pdfwords.OnPage(words, i)) {
				t.Errorf("on page %d of %s %s", i, name, o)
			}
		}
		return words, pages
	}
	plain, before := read("plain", b)
	if strings.Contains(pageText(plain, 0), "Locations and actions") {
		t.Error("a briefing without locations has a locations page")
	}

	p := locationsPage()
	b.Locations = &p
	words, pages := read("locations", b)
	for i := 1; i <= before; i++ {
		if got, want := pageText(words, i), pageText(plain, i); got != want {
			t.Errorf("page %d with locations reads\n%s\nwant\n%s", i, got, want)
		}
	}
	if pages < before+2 {
		t.Errorf("the briefing has %d pages, want the locations to spill over two or more after its %d", pages, before)
	}
	var text string
	for i := before + 1; i <= pages; i++ {
		text += pageText(words, i) + "\n"
	}
	want := []string{"Locations and actions", "As at 30 November 2026, 19:05.", "Previous snapshot: " + p.Since, "Open locations",
		"Closed locations", "Former Orton Goldhay", "Premises demolished", "Actions due or overdue, by agency",
		"Done since the previous snapshot", "20 actions to do, 3 overdue.", "Not evaluated.", "Too few reports to tell a change from chance."}
	for _, l := range p.Locations[:2] {
		want = append(want, l.Name)
	}
	want = append(want, testAgencies...)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("the locations pages do not say %q", w)
		}
	}
	if n := strings.Count(text, "OVERDUE"); n != 3 {
		t.Errorf("the locations pages mark %d actions OVERDUE, want 3", n)
	}
	for _, no := range []string{"Informant", "Cancelled"} {
		if strings.Contains(text, no) {
			t.Errorf("the locations pages say %q", no)
		}
	}

	t.Run("none", func(t *testing.T) {
		b.Locations = &LocationsPage{AsAt: p.AsAt}
		words, pages := read("none", b)
		if pages != before+1 {
			t.Errorf("the briefing has %d pages, want %d", pages, before+1)
		}
		last := pageText(words, pages)
		for _, w := range []string{"Locations and actions", "No locations of concern are recorded."} {
			if !strings.Contains(last, w) {
				t.Errorf("the locations page does not say %q", w)
			}
		}
		if strings.Contains(last, "Open locations") {
			t.Error("the locations page has tables with no locations")
		}
	})

	t.Run("one-long-table", func(t *testing.T) {
		q := LocationsPage{AsAt: p.AsAt, Locations: p.Locations[:1]}
		for i := range 60 {
			q.Actions = append(q.Actions, ActionBrief{Location: q.Locations[0].Name, Tactic: testTactics[i%len(testTactics)], Owner: testAgencies[0],
				Start: "2026-11-02", Due: "2026-12-07", Status: "planned"})
		}
		b.Locations = &q
		words, pages := read("long", b)
		if pages < before+2 {
			t.Fatalf("the briefing has %d pages, want its 60 actions over two or more after its %d", pages, before)
		}
		// Each page after the first that holds action rows heads them again.
		for i := before + 2; i <= pages; i++ {
			on := pdfwords.OnPage(words, i)
			at := func(text string) (y float64, ok bool) {
				y = pageH
				for _, w := range on {
					if w.Text == text {
						y, ok = min(y, w.YMin), true
					}
				}
				return y, ok
			}
			row, ok := at("Millfield")
			if !ok {
				continue
			}
			heading, ok1 := at("(continued)")
			header, ok2 := at("Tactic")
			if !ok1 || !ok2 || heading >= header || header >= row {
				t.Errorf("page %d does not head its action rows again (heading at %.0f, header at %.0f, first row at %.0f)", i, heading, header, row)
			}
		}
		if strings.Contains(pageText(words, 0), "Done since") {
			t.Error("with no previous snapshot the section is headed as done since one")
		}
	})
}

// pageText is the words of page p (0: every page), lines as pdftotext
// reads them joined with a space, so that a phrase on one line is found
// whole.
func pageText(words []pdfwords.Word, p int) string {
	var b strings.Builder
	for _, w := range words {
		if p == 0 || w.Page == p {
			b.WriteString(w.Text + " ")
		}
	}
	return b.String()
}

// TestLocationsCSV reads the CSV of a locations page back: its header,
// one row for each action with its location's columns, one row with empty
// action columns for the location without actions, and a note that
// Excel would run as a formula made plain text.
func TestLocationsCSV(t *testing.T) {
	p := locationsPage()
	p.Actions[0].Note = "=HYPERLINK(\"http://x\")"
	b := LocationsCSV(p)
	if !bytes.HasPrefix(b, []byte("\uFEFF")) || !bytes.Contains(b, []byte("\r\n")) {
		t.Error("the CSV is not as Excel opens it: want a BOM and CRLF line ends")
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], LocationsHeader) {
		t.Fatalf("got header %q, want %q", rows[0], LocationsHeader)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	rows = rows[1:]
	if got, want := len(rows), len(p.Actions)+1; got != want {
		t.Fatalf("got %d rows, want %d (one for each action and one for the location without)", got, want)
	}
	for _, tc := range []struct {
		name     string
		location LocationBrief
		rows     int
	}{
		{"with-actions", p.Locations[0], 13},
		{"more-actions", p.Locations[1], 12},
		{"without-actions", p.Locations[2], 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var its [][]string
			for _, r := range rows {
				if r[col["location"]] == tc.location.Name {
					its = append(its, r)
				}
			}
			if len(its) != tc.rows {
				t.Fatalf("got %d rows, want %d", len(its), tc.rows)
			}
			for _, r := range its {
				if got, want := r[col["location_status"]], tc.location.Status; got != want {
					t.Errorf("got location_status %q, want %q", got, want)
				}
				if got, want := r[col["meeting_ref"]], tc.location.MeetingRef; got != want {
					t.Errorf("got meeting_ref %q, want %q", got, want)
				}
				if tc.rows == 1 && strings.Join(r[col["tactic"]:], "") != "" {
					t.Errorf("got action columns %q, want them empty", r[col["tactic"]:])
				}
			}
		})
	}
	first := rows[0]
	if got, want := first[col["note"]], "'=HYPERLINK(\"http://x\")"; got != want {
		t.Errorf("got note %q, want %q", got, want)
	}
	if got, want := first[col["overdue"]], "yes"; got != want {
		t.Errorf("got overdue %q, want %q", got, want)
	}
	if got, want := first[col["hexagons"]], "7"; got != want {
		t.Errorf("got hexagons %q, want %q", got, want)
	}
}
