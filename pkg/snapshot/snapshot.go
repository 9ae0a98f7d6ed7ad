// Package snapshot freezes hotspot results for tasking meetings, compares
// them, and renders their exports: GeoJSON, CSV and a PDF briefing.
package snapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/places"
)

// FrozenCell is one frozen hotspot cell.
type FrozenCell struct {
	Cell       string         `json:"cell"`
	Rank       int            `json:"rank"`
	Score      float64        `json:"score"`
	Reports    int            `json:"reports"`
	Agencies   int            `json:"agencies"` // 0 in published snapshots: not published
	Categories map[string]int `json:"categories"`
	LastSeen   string         `json:"last_seen"`
	GiZ        *float64       `json:"gi_z,omitempty"` // not in published snapshots
	GiP        *float64       `json:"gi_p,omitempty"`
	Confidence int            `json:"confidence"`
	Trend      string         `json:"trend"`
	Lat        float64        `json:"lat"`
	Lon        float64        `json:"lon"`
	Place      string         `json:"place"`
	Ring       [][2]float64   `json:"ring"`
}

// Content is everything a snapshot froze. Its JSON encoding is canonical
// (fields in a fixed order, map keys sorted), so the bytes and their hash
// are the same every time it is encoded.
type Content struct {
	Title       string          `json:"title"`
	MeetingDate string          `json:"meeting_date"`
	Notes       string          `json:"notes"`
	Parameters  json.RawMessage `json:"parameters"`
	// DataVersion is the data version of exact figures; a published
	// snapshot names its Release (the cut-off date) instead.
	DataVersion    int64        `json:"data_version,omitempty"`
	Release        string       `json:"release,omitempty"`
	Classification string       `json:"classification"`
	CreatedBy      string       `json:"created_by"`
	CreatedAt      string       `json:"created_at"`
	StudyCells     int          `json:"study_cells"`
	Cells          []FrozenCell `json:"cells"`
	// View is "published" for a statistical release (see hotspot.Release);
	// empty for exact figures.
	View string `json:"view,omitempty"`
	// Received is the information received in the window, by agency kind,
	// in words, as it stood when the snapshot was frozen.
	Received string `json:"received,omitempty"`
}

// Published is the View of published snapshots.
const Published = "published"

// Meta is what the person freezing a snapshot says of it.
type Meta struct {
	Title       string
	MeetingDate time.Time
	Notes       string
	CreatedBy   string
	CreatedAt   time.Time
}

// Classifications of snapshots: the highest of the reports behind them.
const (
	Official          = "OFFICIAL"
	OfficialSensitive = "OFFICIAL-SENSITIVE"
)

// Freeze makes the content of a snapshot of res; params is the JSON of
// the parameters used.
func Freeze(res *hotspot.Result, params json.RawMessage, meta Meta, gazetteer *places.Gazetteer) (Content, error) {
	c := Content{
		Title: meta.Title, MeetingDate: meta.MeetingDate.Format(time.DateOnly), Notes: meta.Notes, Parameters: params,
		DataVersion: res.Version, Classification: Official, CreatedBy: meta.CreatedBy,
		CreatedAt: meta.CreatedAt.UTC().Format(time.RFC3339), StudyCells: res.StudyCells, Cells: make([]FrozenCell, 0, len(res.Cells)),
	}
	if res.Params.Release != nil {
		c.View, c.DataVersion = Published, 0
		c.Release = hotspot.WeekStart(res.Params.AsOf).Format(time.DateOnly)
	}
	for _, rc := range res.Cells {
		if rc.Sensitive {
			c.Classification = OfficialSensitive
		}
		center, err := rc.Cell.Center()
		if err != nil {
			return c, err
		}
		poly, err := rc.Cell.Polygon()
		if err != nil {
			return c, err
		}
		ring := make([][2]float64, len(poly[0]))
		for i, p := range poly[0] {
			ring[i] = [2]float64{round7(p[0]), round7(p[1])}
		}
		cell := FrozenCell{
			Cell: rc.Cell.String(), Rank: rc.Rank, Score: rc.Score, Reports: rc.Reports, Agencies: rc.Agencies,
			Categories: rc.Categories,
			Confidence: rc.Confidence, Trend: rc.Trend, Lat: round7(center[1]), Lon: round7(center[0]),
			Place: gazetteer.Nearest(center[1], center[0]), Ring: ring,
		}
		if c.View != Published {
			cell.GiZ, cell.GiP = &rc.GiZ, &rc.GiP
			if !rc.LastSeen.IsZero() {
				cell.LastSeen = rc.LastSeen.Format(time.RFC3339)
			}
		}
		c.Cells = append(c.Cells, cell)
	}
	return c, nil
}

func round7(f float64) float64 {
	const scale = 1e7
	if f < 0 {
		return -float64(int64(-f*scale+0.5)) / scale
	}
	return float64(int64(f*scale+0.5)) / scale
}

// Encode is the canonical bytes of c and their SHA-256 in hex.
func Encode(c Content) ([]byte, string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, "", fmt.Errorf("snapshot: encode: %w", err)
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:]), nil
}

// Decode reads frozen content.
func Decode(b []byte) (Content, error) {
	var c Content
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("snapshot: decode: %w", err)
	}
	return c, nil
}

// Change kinds.
const (
	New     = "new"
	Rising  = "rising"
	Falling = "falling"
	Gone    = "gone"
	Steady  = "steady"
)

// SteadyBand is the relative change in score within which a cell is steady.
const SteadyBand = 0.10

// Change is what became of one cell between two snapshots. Label names
// the cell as Labels does, the same in the API, the CSV and the briefing.
type Change struct {
	Cell     string  `json:"cell"`
	Status   string  `json:"status"`
	Score    float64 `json:"score"`
	Previous float64 `json:"previous"`
	Delta    float64 `json:"delta"`
	Rank     int     `json:"rank,omitempty"`
	Place    string  `json:"place"`
	Label    string  `json:"label"`
	// Ring is a gone cell's outline (the others' are in the snapshot), so
	// that a map draws what the comparison counts.
	Ring [][2]float64 `json:"ring,omitempty"`
}

// Compare classifies every cell of this and of before: new (only in
// this), gone (only in before), rising or falling (score up or down by
// more than SteadyBand of the earlier score) or steady. Cells of this come
// first, by rank, then the gone ones by their former rank. Every change
// is labelled by Labels over the cells it shows, with the places ps.
func Compare(this, before Content, ps []places.Place) []Change {
	prev := map[string]FrozenCell{}
	for _, c := range before.Cells {
		prev[c.Cell] = c
	}
	out := make([]Change, 0, len(this.Cells))
	seen := map[string]bool{}
	for _, c := range this.Cells {
		seen[c.Cell] = true
		ch := Change{Cell: c.Cell, Score: c.Score, Rank: c.Rank, Place: c.Place}
		p, ok := prev[c.Cell]
		switch {
		case !ok:
			ch.Status, ch.Delta = New, c.Score
		default:
			ch.Previous, ch.Delta = p.Score, c.Score-p.Score
			switch {
			case ch.Delta > SteadyBand*p.Score:
				ch.Status = Rising
			case ch.Delta < -SteadyBand*p.Score:
				ch.Status = Falling
			default:
				ch.Status = Steady
			}
		}
		out = append(out, ch)
	}
	for _, p := range before.Cells {
		if !seen[p.Cell] {
			out = append(out, Change{Cell: p.Cell, Status: Gone, Previous: p.Score, Delta: -p.Score, Place: p.Place, Ring: p.Ring})
		}
	}
	labels := Labels(this, out, ps)
	for i := range out {
		out[i].Label = labels[out[i].Cell]
	}
	return out
}

// Labels names every hexagon of c and every gone one among changes, by
// cell id: by its place alone when no other hexagon has that place, else
// by the place and where it lies from the place's centre of ps ("Millfield,
// 0.6 km E"), and then by its rank when that is still shared. The map page
// draws a comparison with these labels; its live hexagons it names by the
// same rule (web/src/format.js, labelCells).
func Labels(c Content, changes []Change, ps []places.Place) map[string]string {
	var items []labelItem
	seen := map[string]bool{}
	for _, cell := range c.Cells {
		items = append(items, labelItem{cell.Cell, cell.Place, cell.Lat, cell.Lon, cell.Rank})
		seen[cell.Cell] = true
	}
	for _, ch := range changes {
		if !seen[ch.Cell] {
			lat, lon := cellCentre(ch.Cell)
			items = append(items, labelItem{ch.Cell, ch.Place, lat, lon, ch.Rank})
		}
	}
	at := map[string]places.Place{}
	for _, p := range ps {
		at[p.Name] = p
	}
	byName := map[string][]labelItem{}
	for _, it := range items {
		byName[it.place] = append(byName[it.place], it)
	}
	out := map[string]string{}
	for name, its := range byName {
		labelShared(out, name, its, at)
	}
	return out
}

// labelItem is a hexagon to be named.
type labelItem struct {
	cell, place string
	lat, lon    float64
	rank        int
}

// labelShared names the hexagons its that share the place name into out.
func labelShared(out map[string]string, name string, its []labelItem, at map[string]places.Place) {
	if len(its) == 1 {
		out[its[0].cell] = name
		return
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

// cellCentre is the centre of the cell of id s; 0, 0 when s is no cell.
func cellCentre(s string) (lat, lon float64) {
	cell, err := hexgrid.Parse(s)
	if err != nil {
		return 0, 0
	}
	p, err := cell.Center()
	if err != nil {
		return 0, 0
	}
	return p[1], p[0]
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
