package snapshot

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
)

// parameters are the fields of a snapshot's parameters JSON that its
// exports put in words.
type parameters struct {
	Res      int    `json:"res"`
	AsOf     string `json:"as_of"`
	From     string `json:"from"`
	Window   string `json:"window"` // absent when from is given
	HalfLife string `json:"half_life"`
	// Categories and Agencies are those counted; empty means all.
	Categories    []string  `json:"categories"`
	Agencies      []string  `json:"agencies"`
	MinSource     int       `json:"min_source"`
	MinAssessment string    `json:"min_assessment"`
	K             int       `json:"k"`
	FDR           bool      `json:"fdr"`
	MinReports    int       `json:"min_reports"`
	BBox          []float64 `json:"bbox"`
	View          string    `json:"view"`
}

// Settings is a snapshot's parameters (its Parameters JSON) in one line,
// such as "published view · resolution 8 · 26 weeks to 30 November 2026
// · half-life 4 weeks · all categories"; exact figures also say the
// agencies and the grading counted. Dates are Europe/London's.
func Settings(raw json.RawMessage) string { return settingsInWords(raw, true) }

// SettingsKey is what two snapshots must share to compare like with
// like, whatever weeks they cover: Settings without the date the window
// ends, with the agencies chosen by their whole ids and the parameters
// Settings does not name (the ring, false discovery rate correction, the
// published view's minimum).
func SettingsKey(raw json.RawMessage) string {
	var p parameters
	if err := json.Unmarshal(raw, &p); err != nil {
		return string(raw)
	}
	return fmt.Sprintf("%s · agencies %s · k %d · fdr %v · min %d", settingsInWords(raw, false),
		strings.Join(slices.Sorted(slices.Values(p.Agencies)), ","), p.K, p.FDR, p.MinReports)
}

// settingsInWords is Settings, with the window's end date when dated. It
// is the JSON as stored when that cannot be read.
func settingsInWords(raw json.RawMessage, dated bool) string {
	var p parameters
	if err := json.Unmarshal(raw, &p); err != nil {
		return string(raw)
	}
	view := "exact figures"
	if p.View == Published {
		view = "published view"
	}
	window := p.window()
	if dated {
		window = strings.TrimSpace(window + " to " + londonDate(p.AsOf))
	}
	parts := []string{view, fmt.Sprintf("resolution %d", p.Res), window, "half-life " + weeks(p.HalfLife), categoriesInWords(p.Categories)}
	if p.View != Published {
		parts = append(parts, agenciesInWords(p.Agencies), fmt.Sprintf("source %d or better, assessment %s or better", p.MinSource, p.MinAssessment))
	}
	if len(p.BBox) == 4 {
		parts = append(parts, fmt.Sprintf("hexagons within %g,%g to %g,%g (longitude,latitude)", p.BBox[0], p.BBox[1], p.BBox[2], p.BBox[3]))
	}
	return strings.Join(parts, " · ")
}

// window is the length of the window, as_of − from, in words: "26 weeks"
// or "10 days" (a window across a clock change, an hour short or long, is
// still whole days), else in hours.
func (p parameters) window() string {
	asOf, err1 := time.Parse(time.RFC3339, p.AsOf)
	from, err2 := time.Parse(time.RFC3339, p.From)
	if err1 != nil || err2 != nil {
		return weeks(p.Window)
	}
	d := asOf.Sub(from)
	days := math.Round(d.Hours() / 24)
	if math.Abs(d.Hours()-days*24) > 1 {
		return fmt.Sprintf("%.0f hours", d.Hours())
	}
	return weeks(fmt.Sprintf("%.0fd", days))
}

// categoriesInWords is "all categories" or "categories a, b", sorted.
func categoriesInWords(codes []string) string {
	if len(codes) == 0 {
		return "all categories"
	}
	return "categories " + strings.Join(slices.Sorted(slices.Values(codes)), ", ")
}

// agenciesInWords is "all agencies" or how many were selected (the
// parameters hold their ids, which say nothing to a reader).
func agenciesInWords(ids []string) string {
	switch len(ids) {
	case 0:
		return "all agencies"
	case 1:
		return "1 selected agency"
	}
	return fmt.Sprintf("%d selected agencies", len(ids))
}

// paramsInWords says in a sentence what the parameters chose, with dates
// in Europe/London.
func paramsInWords(raw json.RawMessage) string {
	var p parameters
	if err := json.Unmarshal(raw, &p); err != nil {
		return "parameters unreadable: " + err.Error()
	}
	cats := categoriesInWords(p.Categories)
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
	switch {
	case n == 1:
		return "1 day"
	case n == 7:
		return "1 week"
	case n%7 == 0:
		return fmt.Sprintf("%d weeks", n/7)
	}
	return fmt.Sprintf("%d days", n)
}

// londonDay writes a date (YYYY-MM-DD) as "Thursday 3 December 2026".
func londonDay(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("Monday 2 January 2006")
}

// londonDate writes the date of an RFC 3339 time as "30 November 2026" in Europe/London.
func londonDate(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.In(hotspot.London).Format("2 January 2006")
}

// londonTime writes an RFC 3339 time as "30 November 2026, 19:05" in Europe/London.
func londonTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.In(hotspot.London).Format("2 January 2006, 15:04")
}
