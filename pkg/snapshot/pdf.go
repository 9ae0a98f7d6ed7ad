package snapshot

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/hexwatch/hexwatch/pkg/places"
)

// Briefing describes the PDF briefing of a snapshot.
type Briefing struct {
	Content Content
	SHA256  string
	// Changes since Against, the earlier snapshot (nil when there is none).
	Changes []Change
	Against *Against
	Area    orb.MultiPolygon
	// Places label the map, and name hexagons by where they lie from them.
	Places []places.Place
	// Locations, when not nil, adds the "Locations and actions" pages.
	Locations *LocationsPage
}

// TopRows is the number of hotspots in the briefing's table.
const TopRows = 15

// A4 landscape in points, and the margins.
const (
	pageW, pageH = 841.89, 595.28
	margin       = 36.0
	bannerH      = 18.0
	// bodyTop and bodyBottom bound what lies between the banners.
	bodyTop, bodyBottom = 12 + bannerH + 14, pageH - 30 - 12
)

// The score classes, fixed on a log scale as the map page's legend
// (web/src/format.js) states them, with the same ColorBrewer YlOrRd fills.
var (
	scoreBreaks = []float64{1, 3, 10, 30, 100, 300}
	scoreFills  = [][3]uint8{{255, 255, 178}, {254, 217, 118}, {254, 178, 76}, {253, 141, 60}, {252, 78, 42}, {227, 26, 28}, {177, 0, 38}}
)

func scoreClass(v float64) int {
	i := 0
	for i < len(scoreBreaks) && v >= scoreBreaks[i] {
		i++
	}
	return i
}

func scoreClassLabel(i int) string {
	switch i {
	case 0:
		return fmt.Sprintf("under %g", scoreBreaks[0])
	case len(scoreBreaks):
		return fmt.Sprintf("%g and over", scoreBreaks[i-1])
	}
	return fmt.Sprintf("%g to %g", scoreBreaks[i-1], scoreBreaks[i])
}

// PDF renders the briefing, A4 landscape, with the classification banner
// at the top and bottom of every page. Page 1: the title, the meeting and
// when the snapshot was frozen (Europe/London), then the maps. On the
// left, the whole service area: hexagons filled by score class over its
// outline, the gazetteer's places, a scale bar and a north arrow. On the
// right, the legend, and below it up to four insets at a larger scale,
// one for each cluster of the top ten hexagons (those within 4 km of one
// another, hop by hop, two or more), the largest first: each with its
// hexagons, outline and places within its frame, a scale bar, and a
// title naming the place of its best-ranked hexagon; a lettered rectangle
// on the county map shows where each lies. Every top-ten rank is written
// once, in its inset or else on the county map, beside its hexagon on a
// leader line; no two words of the page overlap. Then the changes since
// the earlier snapshot, with the settings of both sides, in one table of
// new, rising and falling hexagons sorted by the size of the change; the
// top hotspots; and the method in words; then, when the briefing has
// them, the locations of concern and their actions. Hexagons are named
// as Labels names them, never by cell id.
func PDF(b Briefing) ([]byte, error) {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: gopdf.Rect{W: pageW, H: pageH}})
	if err := pdf.AddTTFFontData("go", goregular.TTF); err != nil {
		return nil, err
	}
	if err := pdf.AddTTFFontData("gobold", gobold.TTF); err != nil {
		return nil, err
	}
	d := &doc{pdf: pdf, b: b, labels: Labels(b.Content, b.Changes, b.Places)}
	d.page()
	c := b.Content
	d.text("gobold", 16, c.Title)
	d.text("go", 10, "Tasking meeting of "+londonDay(c.MeetingDate)+". Snapshot frozen "+londonTime(c.CreatedAt)+" by "+c.CreatedBy+
		"; "+hexagons(len(c.Cells))+". Scores: see the legend; numbers are ranks.")
	d.drawMap(bodyBottom - d.y)

	d.page()
	d.changes()
	d.y += 8
	d.top()
	d.y += 8
	d.text("gobold", 12, "Method")
	d.text("go", 9.5, paramsInWords(c.Parameters))
	d.text("go", 9.5, "Each report counts in the hexagon that holds its point, weighted by the harm of its category and by how far its source and "+
		"its information can be trusted (the 3x5x2 grading); its weight halves every half-life as it ages. A hexagon is a hot spot when it and "+
		"its neighbours together hold clearly more weight than the area as a whole would lead one to expect (Getis-Ord Gi*, at 90, 95 or "+
		"99 % confidence). The trend compares the weeks of the window. Rising and falling mean more than "+fmt.Sprintf("%.0f", SteadyBand*100)+
		" % above or below the earlier snapshot's score.")
	if c.Received != "" {
		d.text("go", 9.5, c.Received)
	}
	if c.Notes != "" {
		d.text("go", 9.5, "Notes: "+c.Notes)
	}
	version := fmt.Sprintf("Data version %d.", c.DataVersion)
	if c.Release != "" {
		version = "Weekly release of " + c.Release + " (the reports counted before that Monday)."
	}
	d.text("go", 7.5, version+" SHA-256 of the frozen content: "+b.SHA256)
	if b.Locations != nil {
		d.page()
		d.locations(*b.Locations)
	}
	if d.err != nil {
		return nil, fmt.Errorf("snapshot: briefing: %w", d.err)
	}
	return pdf.GetBytesPdf(), nil
}

// changes is one table of the new, rising and falling hexagons, largest
// change first.
func (d *doc) changes() {
	b := d.b
	if b.Against == nil {
		d.text("gobold", 12, "Changes")
		d.text("go", 10, "This is the first snapshot of its kind: there is nothing to compare with.")
		return
	}
	if b.Against.Unlike {
		d.text("gobold", 12, "Changes")
		d.text("go", 9.5, "Not compared with \""+b.Against.Title+"\": it was frozen with other settings ("+b.Against.Settings+
			") than this snapshot ("+Settings(b.Content.Parameters)+"), and only like compares with like.")
		return
	}
	counts := map[string]int{}
	var moved []Change
	for _, ch := range b.Changes {
		counts[ch.Status]++
		if ch.Status == New || ch.Status == Rising || ch.Status == Falling {
			moved = append(moved, ch)
		}
	}
	slices.SortStableFunc(moved, func(x, y Change) int { return cmp.Compare(math.Abs(y.Delta), math.Abs(x.Delta)) })
	d.text("gobold", 12, "Changes since \""+b.Against.Title+"\"")
	sides := "This snapshot: " + Settings(b.Content.Parameters) + ". \"" + b.Against.Title + "\": " + b.Against.Settings
	if b.Against.Recomputed {
		sides += " (recomputed from its weekly release under this snapshot's settings)"
	}
	d.text("go", 9.5, sides+".")
	d.text("go", 10, fmt.Sprintf("%d new, %d rising, %d falling, %d steady, %d gone.", counts[New], counts[Rising], counts[Falling], counts[Steady], counts[Gone]))
	if len(moved) == 0 {
		return
	}
	cols := []float64{300, 70, 80, 80, 80}
	d.row("gobold", cols, "Where", "Change", "Score then", "Score now", "Difference")
	for _, ch := range moved[:min(len(moved), 18)] {
		then := fmt.Sprintf("%.1f", ch.Previous)
		if ch.Status == New {
			then = "-"
		}
		d.row("go", cols, d.labels[ch.Cell], ch.Status, then, fmt.Sprintf("%.1f", ch.Score), fmt.Sprintf("%+.1f", ch.Delta))
	}
	if len(moved) > 18 {
		d.text("go", 8.5, fmt.Sprintf("and %d more with smaller changes (the CSV lists every hexagon).", len(moved)-18))
	}
}

// top is the table of the top hotspots.
func (d *doc) top() {
	c := d.b.Content
	status := map[string]string{}
	for _, ch := range d.b.Changes {
		status[ch.Cell] = ch.Status
	}
	d.text("gobold", 12, "Top hotspots")
	cols := []float64{36, 280, 55, 55, 55, 70, 90, 80}
	d.row("gobold", cols, "Rank", "Where", "Score", "Reports", "Agencies", "Confidence", "Trend", "Change")
	for _, cell := range c.Cells[:min(TopRows, len(c.Cells))] {
		conf := "-"
		if cell.Confidence > 0 {
			conf = fmt.Sprintf("%d %%", cell.Confidence)
		}
		d.row("go", cols, fmt.Sprint(cell.Rank), d.labels[cell.Cell], fmt.Sprintf("%.1f", cell.Score), fmt.Sprint(cell.Reports),
			orDash(agencies(cell)), conf, orDash(cell.Trend), orDash(status[cell.Cell]))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// doc is the page being written and where the next line goes.
type doc struct {
	pdf    *gopdf.GoPdf
	b      Briefing
	labels map[string]string
	y      float64
	// err is the first error of a drawing call: the briefing fails with it.
	err error
}

// check keeps the first error of a drawing call.
func (d *doc) check(err error) {
	if d.err == nil {
		d.err = err
	}
}

// page starts a page with its banners; text starts below the top one.
func (d *doc) page() {
	d.pdf.AddPage()
	for _, y := range []float64{12, pageH - 30} {
		d.pdf.SetFillColor(255, 255, 255)
		d.pdf.SetStrokeColor(176, 0, 32)
		d.pdf.SetLineWidth(1.2)
		d.pdf.RectFromUpperLeftWithStyle(margin, y, pageW-2*margin, bannerH, "D")
		d.check(d.pdf.SetFont("gobold", "", 11))
		d.pdf.SetTextColor(176, 0, 32)
		w, _ := d.pdf.MeasureTextWidth(d.b.Content.Classification)
		d.pdf.SetXY((pageW-w)/2, y+13)
		d.check(d.pdf.Text(d.b.Content.Classification))
	}
	d.pdf.SetTextColor(0, 0, 0)
	d.y = bodyTop
}

// text writes a paragraph, wrapping at the margins and turning the page.
// y is the top of the line; the baseline lies a size below it.
func (d *doc) text(font string, size float64, s string) {
	d.check(d.pdf.SetFont(font, "", size))
	for _, line := range d.wrap(s, pageW-2*margin) {
		if d.y+size*1.35 > bodyBottom {
			d.page()
			d.check(d.pdf.SetFont(font, "", size))
		}
		d.pdf.SetXY(margin, d.y+size)
		d.check(d.pdf.Text(line))
		d.y += size * 1.35
	}
}

func (d *doc) wrap(s string, width float64) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		try := strings.TrimSpace(line + " " + w)
		if tw, _ := d.pdf.MeasureTextWidth(try); tw > width && line != "" {
			lines = append(lines, line)
			line = w
			continue
		}
		line = try
	}
	return append(lines, line)
}

// row writes one table row in columns of the widths given.
func (d *doc) row(font string, widths []float64, cells ...string) {
	if d.y+13 > bodyBottom {
		d.page()
	}
	d.check(d.pdf.SetFont(font, "", 9))
	x := margin
	for i, c := range cells {
		d.pdf.SetXY(x, d.y+9)
		d.check(d.pdf.Text(d.truncate(c, widths[i]-6)))
		x += widths[i]
	}
	d.y += 13
}

// truncate shortens s with an ellipsis until it is no wider than width
// in the current font.
func (d *doc) truncate(s string, width float64) string {
	for tw, _ := d.pdf.MeasureTextWidth(s); tw > width && utf8.RuneCountInString(s) > 1; tw, _ = d.pdf.MeasureTextWidth(s) {
		r := []rune(strings.TrimSuffix(s, "…"))
		s = string(r[:len(r)-1]) + "…"
	}
	return s
}

// hexagons writes a number of hexagons: "1 hexagon", "24 hexagons".
func hexagons(n int) string {
	if n == 1 {
		return "1 hexagon"
	}
	return fmt.Sprintf("%d hexagons", n)
}
