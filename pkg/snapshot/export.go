package snapshot

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/hexwatch/hexwatch/pkg/intel"
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

// CSVHeader names the columns of the ranked table.
// Codes come with their labels, and every row says its classification,
// so that a row copied out of the file still carries it.
var CSVHeader = []string{"rank", "cell", "lat", "lon", "place", "score", "reports", "agencies", "top_categories",
	"top_categories_labels", "confidence", "trend", "change", "classification"}

// CSV is the ranked table of a snapshot, as ExcelCSV writes it.
func CSV(c Content, changes []Change) []byte {
	status := map[string]string{}
	for _, ch := range changes {
		status[ch.Cell] = ch.Status
	}
	f := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	rows := make([][]string, 0, len(c.Cells))
	for _, cell := range c.Cells {
		top := topCategories(cell.Categories, 3)
		labels := make([]string, len(top))
		for i, code := range top {
			cat, _ := intel.CategoryByCode(code)
			labels[i] = cmp.Or(cat.Label, code)
		}
		rows = append(rows, []string{strconv.Itoa(cell.Rank), cell.Cell, f(cell.Lat, 6), f(cell.Lon, 6), cell.Place, f(cell.Score, 4),
			strconv.Itoa(cell.Reports), agencies(cell), strings.Join(top, "; "), strings.Join(labels, "; "),
			strconv.Itoa(cell.Confidence), cell.Trend, status[cell.Cell], c.Classification})
	}
	return ExcelCSV(CSVHeader, rows)
}

// ExcelCSV writes a table as Excel opens it: UTF-8 with a BOM, CRLF line
// ends. Cells that Excel would run as formulas are neutralised with a
// leading apostrophe; numbers are left as numbers.
func ExcelCSV(header []string, rows [][]string) []byte {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	w.Write(header)
	for _, row := range rows {
		for i := range row {
			row[i] = Neutralise(row[i])
		}
		w.Write(row)
	}
	w.Flush()
	return b.Bytes()
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
