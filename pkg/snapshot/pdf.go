package snapshot

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/places"
)

// Briefing describes the PDF briefing of a snapshot.
type Briefing struct {
	Content Content
	SHA256  string
	// Changes since Previous, the title of the previous snapshot ("" when none).
	Changes  []Change
	Previous string
	Area     orb.MultiPolygon
	// Places label the map, and name hexagons by where they lie from them.
	Places []places.Place
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
// when the snapshot was frozen (Europe/London), and a map of the whole
// page's width: hexagons filled by score class over the service-area
// outline, the gazetteer's places, the ranks of the top ten (no two labels
// overlap: a rank that cannot sit on its cell is moved aside with a leader
// line), a legend, a scale bar and a north arrow. Then one table of new,
// rising and falling hexagons sorted by the size of the change, the top
// hotspots, and the method in words. Hexagons are named by place, never by
// cell id.
func PDF(b Briefing) ([]byte, error) {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: gopdf.Rect{W: pageW, H: pageH}})
	if err := pdf.AddTTFFontData("go", goregular.TTF); err != nil {
		return nil, err
	}
	if err := pdf.AddTTFFontData("gobold", gobold.TTF); err != nil {
		return nil, err
	}
	d := &doc{pdf: pdf, b: b, labels: cellLabels(b)}
	d.page()
	c := b.Content
	d.text("gobold", 16, c.Title)
	d.text("go", 10, "Tasking meeting of "+londonDay(c.MeetingDate)+". Snapshot frozen "+londonTime(c.CreatedAt)+" by "+c.CreatedBy+
		"; "+fmt.Sprint(len(c.Cells))+" hexagons. Scores: see the legend; numbers are ranks.")
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
	if c.Notes != "" {
		d.text("go", 9.5, "Notes: "+c.Notes)
	}
	version := fmt.Sprintf("Data version %d.", c.DataVersion)
	if c.Release != "" {
		version = "Weekly release of " + c.Release + " (the reports counted before that Monday)."
	}
	d.text("go", 7.5, version+" SHA-256 of the frozen content: "+b.SHA256)
	if d.err != nil {
		return nil, fmt.Errorf("snapshot: briefing: %w", d.err)
	}
	return pdf.GetBytesPdf(), nil
}

// changes is one table of the new, rising and falling hexagons, largest
// change first.
func (d *doc) changes() {
	b := d.b
	if b.Previous == "" {
		d.text("gobold", 12, "Changes")
		d.text("go", 10, "This is the first snapshot of its kind: there is nothing to compare with.")
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
	d.text("gobold", 12, "Changes since \""+b.Previous+"\"")
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

// londonDay writes a date (YYYY-MM-DD) as "Thursday 3 December 2026".
func londonDay(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("Monday 2 January 2006")
}

// londonTime writes an RFC 3339 time as "30 November 2026, 19:05" in Europe/London.
func londonTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.In(hotspot.London).Format("2 January 2006, 15:04")
}

// cellLabels names every hexagon of the briefing (this snapshot's and the
// gone ones) by its place, then where it lies from the place's centre,
// then its rank, so that no two share a name.
func cellLabels(b Briefing) map[string]string {
	type item struct {
		cell, place string
		lat, lon    float64
		rank        int
	}
	var items []item
	seen := map[string]bool{}
	for _, c := range b.Content.Cells {
		items = append(items, item{c.Cell, c.Place, c.Lat, c.Lon, c.Rank})
		seen[c.Cell] = true
	}
	for _, ch := range b.Changes {
		if seen[ch.Cell] {
			continue
		}
		var lat, lon float64
		if cell, err := hexgrid.Parse(ch.Cell); err == nil {
			if p, err := cell.Center(); err == nil {
				lat, lon = p[1], p[0]
			}
		}
		items = append(items, item{ch.Cell, ch.Place, lat, lon, ch.Rank})
	}
	at := map[string]places.Place{}
	for _, p := range b.Places {
		at[p.Name] = p
	}
	out := map[string]string{}
	byName := map[string][]item{}
	for _, it := range items {
		byName[it.place] = append(byName[it.place], it)
	}
	for name, its := range byName {
		if len(its) == 1 {
			out[its[0].cell] = name
			continue
		}
		count := map[string]int{}
		for _, it := range its {
			label := name
			if p, ok := at[name]; ok {
				label = name + ", " + offsetFrom(p, it.lat, it.lon)
			}
			out[it.cell] = label
			count[label]++
		}
		for _, it := range its {
			if count[out[it.cell]] > 1 {
				out[it.cell] += fmt.Sprintf(" (rank %d)", it.rank)
			}
		}
	}
	return out
}

// offsetFrom says where (lat, lon) lies from a place: "1.2 km NE".
func offsetFrom(p places.Place, lat, lon float64) string {
	dy := (lat - p.Lat) * 111.2
	dx := (lon - p.Lon) * 111.2 * math.Cos(p.Lat*math.Pi/180)
	km := math.Hypot(dx, dy)
	if km < 0.3 {
		return "centre"
	}
	bearing := math.Atan2(dx, dy) * 180 / math.Pi
	compass := []string{"N", "NE", "E", "SE", "S", "SW", "W", "NW"}
	return fmt.Sprintf("%.1f km %s", km, compass[int(math.Round(math.Mod(bearing+360, 360)/45))%8])
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
		for tw, _ := d.pdf.MeasureTextWidth(c); tw > widths[i]-6 && len(c) > 1; tw, _ = d.pdf.MeasureTextWidth(c) {
			r := []rune(strings.TrimSuffix(c, "…"))
			c = string(r[:len(r)-1]) + "…"
		}
		d.pdf.SetXY(x, d.y+9)
		d.check(d.pdf.Text(c))
		x += widths[i]
	}
	d.y += 13
}

// box is a rectangle on the page: x0, y0 its top left, x1, y1 its bottom right.
type box struct{ x0, y0, x1, y1 float64 }

func (a box) overlaps(b box) bool { return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 }

func (a box) inside(b box) bool { return a.x0 >= b.x0 && a.x1 <= b.x1 && a.y0 >= b.y0 && a.y1 <= b.y1 }

// layout keeps the boxes already taken on the map, so that no label
// overlaps another or the legend.
type layout struct {
	frame box
	taken []box
}

// place takes the first of the candidate boxes that is inside the frame
// and free, and reports whether one was.
func (l *layout) place(candidates []box) (box, bool) {
	for _, c := range candidates {
		if !c.inside(l.frame) || slices.ContainsFunc(l.taken, c.overlaps) {
			continue
		}
		l.taken = append(l.taken, c)
		return c, true
	}
	return box{}, false
}

// drawMap draws the service area and the hexagons, filled by score class,
// with places, ranks, a legend, a scale bar and a north arrow, in a box of
// the page's width and height h.
func (d *doc) drawMap(h float64) {
	bound := d.b.Area.Bound()
	for _, c := range d.b.Content.Cells {
		for _, p := range c.Ring {
			bound = bound.Extend(orb.Point(p))
		}
	}
	w := pageW - 2*margin
	top := d.y + 4
	h -= 4
	frame := box{margin, top, margin + w, top + h}
	midLat := (bound.Min[1] + bound.Max[1]) / 2
	kx := math.Cos(midLat * math.Pi / 180)
	// The legend takes the right of the frame; the map fits in the rest.
	const legendW = 150.0
	mapW := w - legendW - 10
	scale := math.Min(mapW/((bound.Max[0]-bound.Min[0])*kx), (h-20)/(bound.Max[1]-bound.Min[1]))
	ox := margin + (mapW-(bound.Max[0]-bound.Min[0])*kx*scale)/2
	oy := top + (h-(bound.Max[1]-bound.Min[1])*scale)/2
	at := func(p [2]float64) gopdf.Point {
		return gopdf.Point{X: ox + (p[0]-bound.Min[0])*kx*scale, Y: oy + (bound.Max[1]-p[1])*scale}
	}
	d.pdf.SetStrokeColor(200, 200, 200)
	d.pdf.SetLineWidth(0.5)
	d.pdf.RectFromUpperLeftWithStyle(frame.x0, frame.y0, w, h, "D")

	d.pdf.SetLineWidth(0.2)
	for i := len(d.b.Content.Cells) - 1; i >= 0; i-- {
		c := d.b.Content.Cells[i]
		pts := make([]gopdf.Point, len(c.Ring))
		for j, p := range c.Ring {
			pts[j] = at(p)
		}
		col := scoreFills[scoreClass(c.Score)]
		d.pdf.SetFillColor(col[0], col[1], col[2])
		d.pdf.SetStrokeColor(120, 120, 120)
		d.pdf.Polygon(pts, "DF")
	}
	d.pdf.SetStrokeColor(18, 38, 58)
	d.pdf.SetLineWidth(1)
	for _, poly := range d.b.Area {
		ring := poly[0]
		for j := 1; j < len(ring); j++ {
			a, b := at([2]float64(ring[j-1])), at([2]float64(ring[j]))
			d.pdf.Line(a.X, a.Y, b.X, b.Y)
		}
	}

	l := &layout{frame: frame}
	d.legend(l, box{frame.x1 - legendW, frame.y0 + 6, frame.x1 - 6, frame.y0 + 6})
	d.northArrow(l, frame)
	d.scaleBar(l, frame, scale/111.2) // points per km: a degree of latitude is 111.2 km

	// Ranks first (they matter most), then places where room is left.
	d.check(d.pdf.SetFont("gobold", "", 8))
	for _, c := range d.b.Content.Cells[:min(10, len(d.b.Content.Cells))] {
		p := at([2]float64{c.Lon, c.Lat})
		label := fmt.Sprint(c.Rank)
		tw, _ := d.pdf.MeasureTextWidth(label)
		bw, bh := tw+6, 11.0
		var cands []box
		// Beside the cell (its colour stays visible), then further out on a leader line.
		for r := 10.0; r <= 90; r += 8 {
			for k := range 8 {
				a := float64(k)*math.Pi/4 - math.Pi/4
				cx, cy := p.X+r*math.Cos(a), p.Y+r*math.Sin(a)
				cands = append(cands, box{cx - bw/2, cy - bh/2, cx + bw/2, cy + bh/2})
			}
		}
		bx, ok := l.place(cands)
		if !ok {
			continue
		}
		cx, cy := (bx.x0+bx.x1)/2, (bx.y0+bx.y1)/2
		d.pdf.SetStrokeColor(18, 38, 58)
		d.pdf.SetLineWidth(0.6)
		d.pdf.Line(p.X, p.Y, cx, cy)
		d.pdf.SetFillColor(18, 38, 58)
		d.pdf.RectFromUpperLeftWithStyle(bx.x0, bx.y0, bw, bh, "F")
		d.pdf.SetTextColor(255, 255, 255)
		d.pdf.SetXY(bx.x0+3, bx.y0+8.5)
		d.check(d.pdf.Text(label))
	}
	d.pdf.SetTextColor(40, 40, 40)
	d.check(d.pdf.SetFont("go", "", 7))
	for _, pl := range d.b.Places {
		if !bound.Contains(orb.Point{pl.Lon, pl.Lat}) {
			continue
		}
		p := at([2]float64{pl.Lon, pl.Lat})
		tw, _ := d.pdf.MeasureTextWidth(pl.Name)
		bx, ok := l.place([]box{{p.X + 3, p.Y - 4, p.X + 3 + tw, p.Y + 4}, {p.X - 3 - tw, p.Y - 4, p.X - 3, p.Y + 4},
			{p.X - tw/2, p.Y - 12, p.X + tw/2, p.Y - 4}, {p.X - tw/2, p.Y + 3, p.X + tw/2, p.Y + 11}})
		if !ok {
			continue
		}
		d.pdf.SetFillColor(40, 40, 40)
		d.pdf.Oval(p.X-1.2, p.Y-1.2, p.X+1.2, p.Y+1.2)
		d.pdf.SetXY(bx.x0, bx.y1-1.5)
		d.check(d.pdf.Text(pl.Name))
	}
	d.pdf.SetTextColor(0, 0, 0)
	d.y = frame.y1
}

// legend draws the score classes from the top right of the frame down.
func (d *doc) legend(l *layout, at box) {
	y := at.y0
	line := func(font string, size float64, s string) {
		d.check(d.pdf.SetFont(font, "", size))
		d.pdf.SetXY(at.x0, y+size)
		d.check(d.pdf.Text(s))
		y += size * 1.5
	}
	line("gobold", 9, "Score")
	for i := len(scoreFills) - 1; i >= 0; i-- {
		col := scoreFills[i]
		d.pdf.SetFillColor(col[0], col[1], col[2])
		d.pdf.SetStrokeColor(120, 120, 120)
		d.pdf.SetLineWidth(0.3)
		d.pdf.RectFromUpperLeftWithStyle(at.x0, y+1, 14, 9, "FD")
		d.check(d.pdf.SetFont("go", "", 8))
		d.pdf.SetXY(at.x0+20, y+8.5)
		d.check(d.pdf.Text(scoreClassLabel(i)))
		y += 12
	}
	y += 4
	for _, s := range []string{"Numbers: rank, on a line", "to the hexagon."} {
		line("go", 7.5, s)
	}
	l.taken = append(l.taken, box{at.x0 - 4, at.y0 - 2, at.x1, y + 2})
}

// northArrow draws an arrow and N at the frame's top left.
func (d *doc) northArrow(l *layout, f box) {
	x, y := f.x0+16, f.y0+10
	d.pdf.SetFillColor(18, 38, 58)
	d.pdf.Polygon([]gopdf.Point{{X: x, Y: y}, {X: x - 6, Y: y + 18}, {X: x, Y: y + 13}, {X: x + 6, Y: y + 18}}, "F")
	d.check(d.pdf.SetFont("gobold", "", 9))
	d.pdf.SetXY(x-3.2, y+30)
	d.check(d.pdf.Text("N"))
	l.taken = append(l.taken, box{x - 8, y - 2, x + 8, y + 32})
}

// scaleBar draws a bar of a round number of kilometres at the frame's
// bottom left, ptPerKm points to a kilometre.
func (d *doc) scaleBar(l *layout, f box, ptPerKm float64) {
	km := 1.0
	for _, k := range []float64{1, 2, 5, 10, 20, 50} {
		if k*ptPerKm <= 140 {
			km = k
		}
	}
	x, y := f.x0+12, f.y1-14
	length := km * ptPerKm
	d.pdf.SetStrokeColor(0, 0, 0)
	d.pdf.SetLineWidth(1.2)
	d.pdf.Line(x, y, x+length, y)
	d.pdf.Line(x, y-4, x, y+1)
	d.pdf.Line(x+length, y-4, x+length, y+1)
	d.check(d.pdf.SetFont("go", "", 8))
	label := fmt.Sprintf("%g km", km)
	d.pdf.SetXY(x+length+5, y+3)
	d.check(d.pdf.Text(label))
	tw, _ := d.pdf.MeasureTextWidth(label)
	l.taken = append(l.taken, box{x - 2, y - 8, x + length + 7 + tw, y + 6})
}

// paramsInWords says in a sentence what the parameters chose, with dates
// in Europe/London.
func paramsInWords(raw json.RawMessage) string {
	var p struct {
		Res           int      `json:"res"`
		AsOf          string   `json:"as_of"`
		From          string   `json:"from"`
		HalfLife      string   `json:"half_life"`
		Categories    []string `json:"categories"`
		Agencies      []string `json:"agencies"`
		MinSource     int      `json:"min_source"`
		MinAssessment string   `json:"min_assessment"`
		K             int      `json:"k"`
		FDR           bool     `json:"fdr"`
		MinReports    int      `json:"min_reports"`
		View          string   `json:"view"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return "parameters unreadable: " + err.Error()
	}
	cats := "all categories"
	if len(p.Categories) > 0 {
		cats = "categories " + strings.Join(p.Categories, ", ")
	}
	ags := "all agencies"
	if len(p.Agencies) > 0 {
		ags = fmt.Sprintf("%d selected agencies", len(p.Agencies))
	}
	fdr := ""
	if p.FDR {
		fdr = " with false discovery rate correction"
	}
	area := fmt.Sprintf("hexagons of about %.2g km² (H3 resolution %d)", hexgrid.AreaKm2(p.Res), p.Res)
	if p.View == Published {
		return fmt.Sprintf("Published view: %s; reports counted by the week they were observed, whole weeks from %s to %s, "+
			"weighted by harm and grading, halving every %s; %s; hot spots by Getis-Ord Gi* over the hexagons shown; "+
			"a hexagon is shown only with at least %d reports outside its largest agency; counts perturbed by up to 2, scores shown as bands.",
			area, londonTime(p.From), londonTime(p.AsOf), weeks(p.HalfLife), cats, p.MinReports)
	}
	return fmt.Sprintf("Exact figures: %s; reports observed from %s to %s, weighted by harm and grading, halving every %s; %s; %s; "+
		"sources graded %d or better, assessments %s or better; hot spots by Getis-Ord Gi* over rings of %d%s.",
		area, londonTime(p.From), londonTime(p.AsOf), weeks(p.HalfLife), cats, ags, p.MinSource, p.MinAssessment, p.K, fdr)
}

// weeks writes a duration such as "28d" as "4 weeks" (days when not whole weeks).
func weeks(d string) string {
	var n int
	if _, err := fmt.Sscanf(d, "%dd", &n); err != nil {
		return d
	}
	if n%7 == 0 {
		if n == 7 {
			return "1 week"
		}
		return fmt.Sprintf("%d weeks", n/7)
	}
	return fmt.Sprintf("%d days", n)
}
