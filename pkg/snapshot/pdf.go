package snapshot

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Briefing describes the PDF briefing of a snapshot.
type Briefing struct {
	Content Content
	SHA256  string
	// Changes since Previous, the title of the previous snapshot ("" when none).
	Changes  []Change
	Previous string
	Area     orb.MultiPolygon
}

// TopRows is the number of hotspots in the briefing's table.
const TopRows = 15

// A4 in points, and the margins.
const (
	pageW, pageH = 595.28, 841.89
	margin       = 40.0
)

var fill = [5][3]uint8{{255, 255, 178}, {254, 204, 92}, {253, 141, 60}, {240, 59, 32}, {189, 0, 38}}

// PDF renders the briefing: the classification banner at the top and
// bottom of every page, title, meeting date, the parameters in words, a map
// of the hexagons over the service-area outline with rank labels (drawn as
// vectors, no tiles), the top hotspots and the changes since the previous
// snapshot.
func PDF(b Briefing) ([]byte, error) {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	if err := pdf.AddTTFFontData("go", goregular.TTF); err != nil {
		return nil, err
	}
	if err := pdf.AddTTFFontData("gobold", gobold.TTF); err != nil {
		return nil, err
	}
	d := &doc{pdf: pdf, b: b}
	d.page()
	c := b.Content
	d.text("gobold", 18, c.Title)
	d.text("go", 11, "Tasking meeting of "+c.MeetingDate+". Snapshot frozen "+c.CreatedAt+" by "+c.CreatedBy+".")
	if c.Notes != "" {
		d.text("go", 10, "Notes: "+c.Notes)
	}
	d.text("go", 9, "Parameters: "+paramsInWords(c.Parameters))
	d.text("go", 8, fmt.Sprintf("Data version %d. SHA-256 of the frozen content: %s", c.DataVersion, b.SHA256))
	d.y += 6
	d.drawMap(260)
	d.y += 10

	d.text("gobold", 12, "Top hotspots")
	status := map[string]string{}
	for _, ch := range b.Changes {
		status[ch.Cell] = ch.Status
	}
	cols := []float64{30, 130, 45, 45, 45, 55, 75, 85}
	d.row("gobold", cols, "Rank", "Place", "Score", "Reports", "Agencies", "Confidence", "Trend", "Change")
	for _, cell := range c.Cells[:min(TopRows, len(c.Cells))] {
		conf := "-"
		if cell.Confidence > 0 {
			conf = fmt.Sprintf("%d %%", cell.Confidence)
		}
		d.row("go", cols, fmt.Sprint(cell.Rank), cell.Place, fmt.Sprintf("%.1f", cell.Score), fmt.Sprint(cell.Reports),
			orDash(agencies(cell)), conf, orDash(cell.Trend), orDash(status[cell.Cell]))
	}
	d.y += 10

	if b.Previous == "" {
		d.text("gobold", 12, "Changes since the previous snapshot")
		d.text("go", 10, "This is the first snapshot: there is nothing to compare with.")
	} else {
		d.text("gobold", 12, "Changes since the previous snapshot: "+b.Previous)
		counts := map[string]int{}
		for _, ch := range b.Changes {
			counts[ch.Status]++
		}
		d.text("go", 10, fmt.Sprintf("%d new, %d rising, %d falling, %d steady, %d gone (steady: within %.0f %% of the earlier score).",
			counts[New], counts[Rising], counts[Falling], counts[Steady], counts[Gone], SteadyBand*100))
		shown := 0
		for _, ch := range b.Changes {
			if ch.Status == Steady || shown >= 12 {
				continue
			}
			shown++
			d.text("go", 9, fmt.Sprintf("%s: %s (%s), score %.1f, was %.1f, change %+.1f", ch.Status, ch.Place, ch.Cell, ch.Score, ch.Previous, ch.Delta))
		}
	}
	if d.err != nil {
		return nil, fmt.Errorf("snapshot: briefing: %w", d.err)
	}
	return pdf.GetBytesPdf(), nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// doc is the page being written and where the next line goes.
type doc struct {
	pdf *gopdf.GoPdf
	b   Briefing
	y   float64
	// err is the first error of a drawing call: the briefing fails with it.
	err error
}

// check keeps the first error of a drawing call.
func (d *doc) check(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *doc) page() {
	d.pdf.AddPage()
	for _, y := range []float64{12, pageH - 30} {
		d.pdf.SetFillColor(255, 255, 255)
		d.pdf.SetStrokeColor(176, 0, 32)
		d.pdf.SetLineWidth(1.2)
		d.pdf.RectFromUpperLeftWithStyle(margin, y, pageW-2*margin, 18, "D")
		d.check(d.pdf.SetFont("gobold", "", 11))
		d.pdf.SetTextColor(176, 0, 32)
		w, _ := d.pdf.MeasureTextWidth(d.b.Content.Classification)
		d.pdf.SetXY((pageW-w)/2, y+13)
		d.check(d.pdf.Text(d.b.Content.Classification))
	}
	d.pdf.SetTextColor(0, 0, 0)
	d.y = 44
}

// text writes a paragraph, wrapping at the margins and turning the page.
func (d *doc) text(font string, size float64, s string) {
	d.check(d.pdf.SetFont(font, "", size))
	for _, line := range d.wrap(s, pageW-2*margin) {
		if d.y+size > pageH-44 {
			d.page()
			d.check(d.pdf.SetFont(font, "", size))
		}
		d.pdf.SetXY(margin, d.y)
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
	if d.y+12 > pageH-44 {
		d.page()
	}
	d.check(d.pdf.SetFont(font, "", 8.5))
	x := margin
	for i, c := range cells {
		for tw, _ := d.pdf.MeasureTextWidth(c); tw > widths[i]-4 && len(c) > 1; tw, _ = d.pdf.MeasureTextWidth(c) {
			c = c[:len(c)-2] + "…"
		}
		d.pdf.SetXY(x, d.y)
		d.check(d.pdf.Text(c))
		x += widths[i]
	}
	d.y += 12
}

// drawMap draws the service area and the hexagons, filled by score class,
// with the ranks of the top cells, in a box of the page's width and height h.
func (d *doc) drawMap(h float64) {
	bound := d.b.Area.Bound()
	for _, c := range d.b.Content.Cells {
		for _, p := range c.Ring {
			bound = bound.Extend(orb.Point(p))
		}
	}
	w := pageW - 2*margin
	midLat := (bound.Min[1] + bound.Max[1]) / 2
	kx := math.Cos(midLat * math.Pi / 180)
	scale := math.Min(w/((bound.Max[0]-bound.Min[0])*kx), h/(bound.Max[1]-bound.Min[1]))
	ox := margin + (w-(bound.Max[0]-bound.Min[0])*kx*scale)/2
	top := d.y
	at := func(p [2]float64) gopdf.Point {
		return gopdf.Point{X: ox + (p[0]-bound.Min[0])*kx*scale, Y: top + (bound.Max[1]-p[1])*scale}
	}
	d.pdf.SetStrokeColor(200, 200, 200)
	d.pdf.SetLineWidth(0.5)
	d.pdf.RectFromUpperLeftWithStyle(margin, top, w, h, "D")

	scores := make([]float64, len(d.b.Content.Cells))
	for i, c := range d.b.Content.Cells {
		scores[i] = c.Score
	}
	breaks := quantiles(scores)
	d.pdf.SetLineWidth(0.2)
	for i := len(d.b.Content.Cells) - 1; i >= 0; i-- {
		c := d.b.Content.Cells[i]
		pts := make([]gopdf.Point, len(c.Ring))
		for j, p := range c.Ring {
			pts[j] = at(p)
		}
		col := fill[class(c.Score, breaks)]
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
	d.check(d.pdf.SetFont("gobold", "", 7))
	for _, c := range d.b.Content.Cells[:min(10, len(d.b.Content.Cells))] {
		p := at([2]float64{c.Lon, c.Lat})
		d.pdf.SetXY(p.X+3, p.Y-3)
		d.check(d.pdf.Text(fmt.Sprint(c.Rank)))
	}
	d.y = top + h
}

// quantiles are the four inner bounds of five quantile classes.
func quantiles(scores []float64) [4]float64 {
	s := slices.Sorted(slices.Values(scores))
	var q [4]float64
	for i := range q {
		if len(s) > 0 {
			q[i] = s[(i+1)*len(s)/5]
		}
	}
	return q
}

func class(v float64, q [4]float64) int {
	i := 0
	for i < 4 && v > q[i] {
		i++
	}
	return i
}

// paramsInWords says in a sentence what the parameters chose.
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
	if p.View == Published {
		return fmt.Sprintf("Published view: H3 resolution %d hexagons; reports counted by the week they were observed, whole weeks from %s to %s, "+
			"weighted by harm and grading, halving every %s; %s; hot spots by Getis-Ord Gi* over the hexagons shown; "+
			"a hexagon is shown only with at least %d reports outside its largest agency; counts perturbed by up to 2, scores shown as bands.",
			p.Res, p.From, p.AsOf, p.HalfLife, cats, p.MinReports)
	}
	return fmt.Sprintf("Exact figures: H3 resolution %d hexagons; reports observed from %s to %s, weighted by harm and grading, halving every %s; %s; %s; "+
		"sources graded %d or better, assessments %s or better; hot spots by Getis-Ord Gi* over rings of %d%s.",
		p.Res, p.From, p.AsOf, p.HalfLife, cats, ags, p.MinSource, p.MinAssessment, p.K, fdr)
}
