package snapshot

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hexwatch/hexwatch/pkg/hotspot"
)

// LocationBrief is a location of concern as a briefing shows it.
type LocationBrief struct {
	Name         string
	MeetingRef   string
	Owner        string // owner agency's name
	Status       string // "open" or "closed"
	ClosedReason string
	Review       string // review date, YYYY-MM-DD, or ""
	Cells        int    // hexagons in its area
	Res          int
	// Evaluation is the evaluation's figures in words (one or two
	// sentences, already written by the caller), or "" when not evaluated.
	Evaluation string
}

// ActionBrief is an action on a location as a briefing shows it.
type ActionBrief struct {
	Location   string // the location's name
	Tactic     string // the tactic's label, e.g. "Closure order"
	Owner      string // owner agency's name
	Start, Due string // YYYY-MM-DD
	Status     string // planned, in_progress, done, cancelled
	DoneAt     string // YYYY-MM-DD when done, else ""
	// Note is carried by the CSV only: notes may be sensitive, and a
	// printed briefing travels further than the file.
	Note          string
	Overdue       bool // due before the briefing's date and not done or cancelled
	DoneSinceLast bool // done since the previous snapshot
}

// LocationsPage is what the briefing's "Locations and actions" page shows.
type LocationsPage struct {
	AsAt time.Time // when the locations were read (shown in Europe/London)
	// Since is the previous snapshot ("Weekly tasking 2026-11-23, frozen
	// 2026-11-23 10:04"), or "" when there is none.
	Since     string
	Locations []LocationBrief
	Actions   []ActionBrief
}

// The statuses of a location and of an action, as stored.
const (
	locationClosed   = "closed"
	actionDone       = "done"
	actionCancelled  = "cancelled"
	actionInProgress = "in_progress"
	actionPlanned    = "planned"
)

// The heights of a table row as row writes it, of a section's heading
// and of an agency's; the size of an evaluation's words and their indent.
const (
	rowH     = 13.0
	headingH = 12 * 1.35
	subH     = 10 * 1.35
	evalSize = 8.5
	evalIdt  = 14.0
)

// locations writes the "Locations and actions" pages: the open locations,
// each with its evaluation beneath it, then the closed ones; the actions
// still to do, by owner agency; and those done since the previous
// snapshot. Locations keep the caller's order. Notes are not printed.
func (d *doc) locations(p LocationsPage) {
	d.text("gobold", 16, "Locations and actions")
	asAt := "As at " + p.AsAt.In(hotspot.London).Format("2 January 2006, 15:04") + "."
	if p.Since != "" {
		asAt += " Previous snapshot: " + p.Since + "."
	}
	d.text("go", 10, asAt)
	if len(p.Locations) == 0 {
		// Actions are on locations: with none recorded there are none.
		d.text("go", 10, "No locations of concern are recorded.")
		return
	}
	var open, closed []LocationBrief
	for _, l := range p.Locations {
		if l.Status == locationClosed {
			closed = append(closed, l)
		} else {
			open = append(open, l)
		}
	}
	d.y += 8
	d.openLocations(open)
	if len(closed) > 0 {
		d.y += 8
		d.closedLocations(closed)
	}
	d.y += 8
	d.actionsDue(p.Actions)
	d.y += 8
	d.actionsDone(p)
}

// openLocations is the table of open locations, each row followed by its
// evaluation in words, indented; a row and its evaluation share a page.
func (d *doc) openLocations(ls []LocationBrief) {
	cols := []float64{230, 100, 190, 80, 160}
	header := func() { d.row("gobold", cols, "Location", "Meeting ref", "Owner", "Review", "Area") }
	d.section("Open locations", len(ls) > 0)
	if len(ls) == 0 {
		d.text("go", 9.5, "No open locations.")
		return
	}
	header()
	for _, l := range ls {
		eval := cmp.Or(l.Evaluation, "Not evaluated.")
		d.check(d.pdf.SetFont("go", "", evalSize))
		lines := d.wrap(eval, pageW-2*margin-evalIdt)
		if d.room(rowH + float64(len(lines))*evalSize*1.35 + 2) {
			d.text("gobold", 10, "Open locations (continued)")
			header()
		}
		area := hexagons(l.Cells)
		if l.Res > 0 {
			area += fmt.Sprintf(", resolution %d", l.Res)
		}
		d.row("go", cols, l.Name, orDash(l.MeetingRef), orDash(l.Owner), shortDate(l.Review), area)
		d.indented("go", evalSize, evalIdt, lines)
		d.y += 2
	}
}

// closedLocations is the table of closed locations with their reasons.
func (d *doc) closedLocations(ls []LocationBrief) {
	cols := []float64{230, 100, 190, 240}
	header := func() { d.row("gobold", cols, "Location", "Meeting ref", "Owner", "Why closed") }
	d.section("Closed locations", true)
	header()
	for _, l := range ls {
		if d.room(rowH) {
			d.text("gobold", 10, "Closed locations (continued)")
			header()
		}
		d.row("go", cols, l.Name, orDash(l.MeetingRef), orDash(l.Owner), orDash(l.ClosedReason))
	}
}

// actionsDue is the actions neither done nor cancelled, one table for
// each owner agency, agencies by name, each table by due date.
func (d *doc) actionsDue(as []ActionBrief) {
	byOwner := map[string][]ActionBrief{}
	open, overdue := 0, 0
	for _, a := range as {
		if a.Status == actionDone || a.Status == actionCancelled {
			continue
		}
		byOwner[a.Owner] = append(byOwner[a.Owner], a)
		open++
		if a.Overdue {
			overdue++
		}
	}
	owners := make([]string, 0, len(byOwner))
	for o := range byOwner {
		owners = append(owners, o)
	}
	slices.Sort(owners)
	d.section("Actions due or overdue, by agency", len(owners) > 0)
	if len(owners) == 0 {
		d.text("go", 9.5, "No actions are due.")
		return
	}
	d.text("go", 9.5, fmt.Sprintf("%s to do, %d overdue.", actions(open), overdue))
	cols := []float64{270, 210, 90, 100, 90}
	for _, o := range owners {
		name := cmp.Or(o, "No owner agency")
		header := func(title string) {
			d.text("gobold", 10, title)
			d.row("gobold", cols, "Location", "Tactic", "Due", "Status", "Overdue")
		}
		d.room(subH + 2*rowH)
		header(name)
		rows := byOwner[o]
		slices.SortStableFunc(rows, func(x, y ActionBrief) int {
			return cmp.Or(cmp.Compare(x.Due, y.Due), cmp.Compare(x.Location, y.Location), cmp.Compare(x.Tactic, y.Tactic))
		})
		for _, a := range rows {
			if d.room(rowH) {
				header(name + " (continued)")
			}
			late := ""
			if a.Overdue {
				late = "OVERDUE"
			}
			d.row("go", cols, a.Location, a.Tactic, shortDate(a.Due), actionStatusWords(a.Status), late)
		}
		d.y += 4
	}
}

// actionsDone is the actions done since the previous snapshot, or every
// action done when there is no previous snapshot, the latest first.
func (d *doc) actionsDone(p LocationsPage) {
	title := "Done since the previous snapshot"
	if p.Since == "" {
		title = "Done"
	}
	var done []ActionBrief
	for _, a := range p.Actions {
		if a.Status == actionDone && (a.DoneSinceLast || p.Since == "") {
			done = append(done, a)
		}
	}
	slices.SortStableFunc(done, func(x, y ActionBrief) int {
		return cmp.Or(cmp.Compare(y.DoneAt, x.DoneAt), cmp.Compare(x.Location, y.Location), cmp.Compare(x.Tactic, y.Tactic))
	})
	d.section(title, len(done) > 0)
	if len(done) == 0 {
		d.text("go", 9.5, "No actions were done.")
		return
	}
	cols := []float64{270, 210, 190, 90}
	header := func() { d.row("gobold", cols, "Location", "Tactic", "Owner", "Done") }
	header()
	for _, a := range done {
		if d.room(rowH) {
			d.text("gobold", 10, title+" (continued)")
			header()
		}
		d.row("go", cols, a.Location, a.Tactic, orDash(a.Owner), shortDate(a.DoneAt))
	}
}

// section writes a section's heading, first turning the page when the
// heading would stand alone at its foot: with a table, room for its
// header and first row; without, for one line.
func (d *doc) section(title string, table bool) {
	need := headingH + rowH
	if table {
		need += subH + 2*rowH
	}
	d.room(need)
	d.text("gobold", 12, title)
}

// room turns the page when h points more do not fit above the bottom
// banner, and says whether it did.
func (d *doc) room(h float64) bool {
	if d.y+h <= bodyBottom {
		return false
	}
	d.page()
	return true
}

// indented writes lines already wrapped, indent points in from the margin.
func (d *doc) indented(font string, size, indent float64, lines []string) {
	d.check(d.pdf.SetFont(font, "", size))
	for _, line := range lines {
		if d.room(size * 1.35) {
			d.check(d.pdf.SetFont(font, "", size))
		}
		d.pdf.SetXY(margin+indent, d.y+size)
		d.check(d.pdf.Text(line))
		d.y += size * 1.35
	}
}

// actionStatusWords is an action's status as the briefing writes it.
func actionStatusWords(s string) string {
	switch s {
	case actionPlanned:
		return "Planned"
	case actionInProgress:
		return "In progress"
	case actionDone:
		return "Done"
	case actionCancelled:
		return "Cancelled"
	}
	return orDash(s)
}

// actions writes a number of actions: "1 action", "24 actions".
func actions(n int) string {
	if n == 1 {
		return "1 action"
	}
	return fmt.Sprintf("%d actions", n)
}

// shortDate writes a date (YYYY-MM-DD) as "3 Dec 2026", "-" when there is none.
func shortDate(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return orDash(s)
	}
	return t.Format("2 Jan 2006")
}

// LocationsHeader names the columns of LocationsCSV.
var LocationsHeader = []string{"location", "meeting_ref", "location_owner", "location_status", "closed_reason", "review_date", "hexagons",
	"evaluation", "tactic", "action_owner", "start_date", "due_date", "action_status", "done_date", "overdue", "note"}

// LocationsCSV is the locations and their actions as ExcelCSV writes it:
// one row for each action, joined with its location by name (a location's
// name is unique), and one row with empty action columns for a location
// without actions. Locations keep their order, and actions theirs; an
// action whose location is not among them comes last, with only its name.
func LocationsCSV(p LocationsPage) []byte {
	byName := map[string][]ActionBrief{}
	for _, a := range p.Actions {
		byName[a.Location] = append(byName[a.Location], a)
	}
	action := func(a ActionBrief) []string {
		overdue := "no"
		if a.Overdue {
			overdue = "yes"
		}
		return []string{a.Tactic, a.Owner, a.Start, a.Due, a.Status, a.DoneAt, overdue, a.Note}
	}
	rows := make([][]string, 0, len(p.Actions)+len(p.Locations))
	for _, l := range p.Locations {
		loc := []string{l.Name, l.MeetingRef, l.Owner, l.Status, l.ClosedReason, l.Review, strconv.Itoa(l.Cells), l.Evaluation}
		as, ok := byName[l.Name]
		delete(byName, l.Name)
		if !ok {
			rows = append(rows, append(loc, make([]string, 8)...))
			continue
		}
		for _, a := range as {
			rows = append(rows, append(slices.Clone(loc), action(a)...))
		}
	}
	for _, a := range p.Actions {
		if _, ok := byName[a.Location]; ok {
			rows = append(rows, append([]string{a.Location, "", "", "", "", "", "", ""}, action(a)...))
		}
	}
	return ExcelCSV(LocationsHeader, rows)
}
