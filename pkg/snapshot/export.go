package snapshot

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/places"
)

// GeoJSON is the snapshot's cells as an RFC 7946 FeatureCollection, with
// its metadata as foreign members.
func GeoJSON(c Content, id, sum string) ([]byte, error) {
	fc := geojson.NewFeatureCollection()
	for _, cell := range c.Cells {
		ring := make(orb.Ring, len(cell.Ring))
		for i, p := range cell.Ring {
			ring[i] = orb.Point(p)
		}
		f := geojson.NewFeature(orb.Polygon{ring})
		f.ID = cell.Cell
		f.Properties = geojson.Properties{
			"cell": cell.Cell, "rank": cell.Rank, "score": cell.Score, "reports": cell.Reports, "agencies": cell.Agencies,
			"categories": cell.Categories, "top_categories": strings.Join(topCategories(cell.Categories, 3), "; "), "last_seen": cell.LastSeen,
			"confidence": cell.Confidence, "trend": cell.Trend, "place": cell.Place,
		}
		if cell.GiZ != nil {
			f.Properties["gi_z"], f.Properties["gi_p"] = *cell.GiZ, *cell.GiP
		}
		fc.Append(f)
	}
	fc.ExtraMembers = geojson.Properties{
		"snapshot": id, "title": c.Title, "meeting_date": c.MeetingDate, "classification": c.Classification,
		"parameters": json.RawMessage(c.Parameters), "created_at": c.CreatedAt, "sha256": sum,
	}
	if c.Release != "" {
		fc.ExtraMembers["release"] = c.Release
	} else {
		fc.ExtraMembers["data_version"] = c.DataVersion
	}
	return json.Marshal(fc)
}

// topCategories are the n categories with the most reports, most first.
func topCategories(counts map[string]int, n int) []string {
	names := make([]string, 0, len(counts))
	for k := range counts {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b)) })
	return names[:min(n, len(names))]
}

// Against is the earlier snapshot a comparison is made with.
type Against struct {
	Title      string // the earlier snapshot's title
	Settings   string // its settings in words, as compared
	Recomputed bool   // the earlier side was recomputed from its weekly release under this snapshot's settings
	// Unlike: frozen with other settings and not recomputed (exact figures,
	// whose data have moved on), so not compared at all.
	Unlike bool
}

// CSVHeader names the columns of the ranked table.
// Codes come with their labels, and every row says its classification,
// so that a row copied out of the file still carries it; it also says
// the settings of this snapshot and of the one it is compared with.
var CSVHeader = []string{"rank", "cell", "lat", "lon", "place", "score", "reports", "agencies", "top_categories",
	"top_categories_labels", "confidence", "trend", "change", "compared_with", "settings", "compared_settings", "classification"}

// CSV is the ranked table of a snapshot, as ExcelCSV writes it: the
// hexagons named by Labels with the places ps, their changes since
// against (nil when there is nothing to compare with, and then the
// compared_ columns are empty).
func CSV(c Content, changes []Change, against *Against, ps []places.Place) []byte {
	status := map[string]string{}
	for _, ch := range changes {
		status[ch.Cell] = ch.Status
	}
	labels := Labels(c, changes, ps)
	var with, withSettings string
	if against != nil {
		with, withSettings = against.Title, against.Settings
		switch {
		case against.Recomputed:
			withSettings += " (recomputed from its weekly release under these settings)"
		case against.Unlike:
			withSettings += " (not compared: frozen with other settings)"
		}
	}
	settings := Settings(c.Parameters)
	f := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	rows := make([][]string, 0, len(c.Cells))
	for _, cell := range c.Cells {
		top := topCategories(cell.Categories, 3)
		names := make([]string, len(top))
		for i, code := range top {
			cat, _ := intel.CategoryByCode(code)
			names[i] = cmp.Or(cat.Label, code)
		}
		rows = append(rows, []string{strconv.Itoa(cell.Rank), cell.Cell, f(cell.Lat, 6), f(cell.Lon, 6), labels[cell.Cell], f(cell.Score, 4),
			strconv.Itoa(cell.Reports), agencies(cell), strings.Join(top, "; "), strings.Join(names, "; "),
			strconv.Itoa(cell.Confidence), cell.Trend, status[cell.Cell], with, settings, withSettings, c.Classification})
	}
	return ExcelCSV(CSVHeader, rows)
}

// ExcelCSV writes a table as Excel opens it: UTF-8 with a BOM, CRLF line
// ends. Cells that Excel would run as formulas are neutralised with a
// leading apostrophe; numbers are left as numbers.
func ExcelCSV(header []string, rows [][]string) []byte {
	var b bytes.Buffer
	w := NewExcelWriter(&b, header)
	for _, row := range rows {
		w.Write(row)
	}
	// A bytes.Buffer does not fail.
	_ = w.Flush()
	return b.Bytes()
}

// ExcelWriter streams a table as ExcelCSV writes it, row by row.
type ExcelWriter struct {
	w   *csv.Writer
	err error // of the BOM
}

// NewExcelWriter writes the BOM and the header to w.
func NewExcelWriter(w io.Writer, header []string) *ExcelWriter {
	_, err := io.WriteString(w, "\uFEFF")
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	ew := &ExcelWriter{w: cw, err: err}
	ew.Write(header)
	return ew
}

// Write writes one row, neutralising its cells in place; an error of the
// writer underneath is kept for Flush.
func (ew *ExcelWriter) Write(row []string) {
	for i := range row {
		row[i] = Neutralise(row[i])
	}
	// csv.Writer keeps its first error, which Flush reports.
	_ = ew.w.Write(row)
}

// Flush writes what is buffered and reports the first error of any write.
func (ew *ExcelWriter) Flush() error {
	ew.w.Flush()
	if ew.err != nil {
		return ew.err
	}
	return ew.w.Error()
}

// Neutralise makes a CSV cell that a spreadsheet would run as a formula
// plain text, by a leading apostrophe. Numbers stay as they are.
func Neutralise(s string) string {
	if s == "" || !strings.ContainsAny(s[:1], "=+-@\t\r") {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}

// agencies is a cell's number of agencies as text: empty when not
// published.
func agencies(c FrozenCell) string {
	if c.Agencies == 0 {
		return ""
	}
	return strconv.Itoa(c.Agencies)
}
