package server

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/places"
)

// geoWriter renders hotspot results as RFC 7946 GeoJSON by hand: this is
// the hot path of the map, and encoding/json is several times slower on it.
// What never changes of a cell, its boundary and its nearest place, is
// rendered once and kept, packed: the rings end to end in blocks that
// never move, each place's name once.
type geoWriter struct {
	places *places.Gazetteer
	mu     sync.RWMutex
	cells  map[hexgrid.Cell]geoRef
	rings  [][]byte
	names  []placeName
	nameAt map[string]uint16
}

// geoRef is where a cell's ring lies in geoWriter.rings (block, from off,
// n bytes), and its nearest place in geoWriter.names.
type geoRef struct {
	off   uint32
	block uint16
	n     uint16
	place uint16
}

// placeName is a place's name, and the name as JSON.
type placeName struct {
	name string
	json []byte
}

// cellGeo is a cell's polygon coordinates as JSON and its nearest place,
// as a name and as JSON.
type cellGeo struct {
	ring, placeJSON []byte
	place           string
}

const (
	geoCacheCells = 400000
	// ringBlock sizes the blocks of rings: a few thousand cells each.
	ringBlock = 1 << 20
)

// categoryOrder orders the categories of a cell's properties; the
// published view's merged small categories come last.
var categoryOrder = func() []string {
	out := make([]string, len(intel.Categories), len(intel.Categories)+1)
	for i, c := range intel.Categories {
		out[i] = c.Code
	}
	return append(out, hotspot.Other)
}()

// cell returns the cell's polygon coordinates and nearest place as JSON.
func (g *geoWriter) cell(c hexgrid.Cell) (cellGeo, error) {
	g.mu.RLock()
	ref, ok := g.cells[c]
	var cg cellGeo
	if ok {
		cg = g.view(ref)
	}
	g.mu.RUnlock()
	if ok {
		return cg, nil
	}
	ring, place, err := render(nil, c, g.places)
	if err != nil {
		return cg, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if ref, ok := g.keep(c, ring, place); ok {
		return g.view(ref), nil
	}
	cg = cellGeo{ring: ring, place: place}
	cg.placeJSON, err = json.Marshal(place)
	return cg, err
}

// render appends a cell's polygon coordinates as JSON to b and finds its
// nearest place.
func render(b []byte, c hexgrid.Cell, gz *places.Gazetteer) ([]byte, string, error) {
	poly, err := c.Polygon()
	if err != nil {
		return nil, "", err
	}
	b = slices.Grow(b, 4+len(poly[0])*48)
	b = append(b, "[["...)
	for i, p := range poly[0] {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendFloat(b, p[0], 'f', 7, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, p[1], 'f', 7, 64)
		b = append(b, ']')
	}
	center, err := c.Center()
	if err != nil {
		return nil, "", err
	}
	return append(b, "]]"...), gz.Nearest(center.Lat(), center.Lon()), nil
}

// keep stores a cell's ring and place, unless the cell is kept already or
// the cache is full; g.mu must be held.
func (g *geoWriter) keep(c hexgrid.Cell, ring []byte, place string) (geoRef, bool) {
	if ref, ok := g.cells[c]; ok {
		return ref, true
	}
	if len(g.cells) >= geoCacheCells || len(ring) > ringBlock {
		return geoRef{}, false
	}
	p, ok := g.nameAt[place]
	if !ok {
		if len(g.names) > math.MaxUint16 {
			return geoRef{}, false
		}
		pj, err := json.Marshal(place)
		if err != nil {
			return geoRef{}, false
		}
		p = uint16(len(g.names))
		g.names = append(g.names, placeName{place, pj})
		if g.nameAt == nil {
			g.nameAt = map[string]uint16{}
		}
		g.nameAt[place] = p
	}
	k := len(g.rings) - 1
	if k < 0 || len(g.rings[k])+len(ring) > ringBlock {
		if len(g.rings) > math.MaxUint16 {
			return geoRef{}, false
		}
		g.rings = append(g.rings, make([]byte, 0, ringBlock))
		k++
	}
	ref := geoRef{off: uint32(len(g.rings[k])), block: uint16(k), n: uint16(len(ring)), place: p}
	g.rings[k] = append(g.rings[k], ring...)
	if g.cells == nil {
		g.cells = map[hexgrid.Cell]geoRef{}
	}
	g.cells[c] = ref
	return ref, true
}

// view is the cell kept at ref; g.mu must be held. Its ring is capped at
// its length, so that no append writes into the next cell's.
func (g *geoWriter) view(ref geoRef) cellGeo {
	end := ref.off + uint32(ref.n)
	pn := g.names[ref.place]
	return cellGeo{ring: g.rings[ref.block][ref.off:end:end], place: pn.name, placeJSON: pn.json}
}

// warm renders and keeps every cell given, so that no request pays for
// them: the rendering runs outside the lock, a batch at a time.
func (g *geoWriter) warm(cells []hexgrid.Cell) error {
	type rendered struct {
		c      hexgrid.Cell
		lo, hi int
		place  string
	}
	const batch = 1024
	var (
		out []rendered
		buf []byte
	)
	for len(cells) > 0 {
		n := min(batch, len(cells))
		out, buf = out[:0], buf[:0]
		for _, c := range cells[:n] {
			lo := len(buf)
			var place string
			var err error
			if buf, place, err = render(buf, c, g.places); err != nil {
				return err
			}
			out = append(out, rendered{c, lo, len(buf), place})
		}
		g.mu.Lock()
		for _, r := range out {
			g.keep(r.c, buf[r.lo:r.hi], r.place)
		}
		g.mu.Unlock()
		cells = cells[n:]
	}
	return nil
}

// place is the name of the place nearest to the cell.
func (g *geoWriter) place(c hexgrid.Cell) (string, error) {
	cg, err := g.cell(c)
	return cg.place, err
}

// paramsJSON is every parameter a result was computed with.
type paramsJSON struct {
	Res           int         `json:"res"`
	AsOf          string      `json:"as_of"`
	From          string      `json:"from"`
	HalfLife      string      `json:"half_life"`
	Categories    []string    `json:"categories"`
	Agencies      []uuid.UUID `json:"agencies"`
	MinSource     int         `json:"min_source"`
	MinAssessment string      `json:"min_assessment"`
	K             int         `json:"k"`
	BBox          []float64   `json:"bbox,omitempty"`
	FDR           bool        `json:"fdr"`
	Period        string      `json:"period"`
	// View is viewPublished or viewFull; MinReports is the published
	// view's K (0 in the full view).
	View       string `json:"view"`
	MinReports int    `json:"min_reports"`
	// Release is the cut-off date of the release a published answer reads.
	Release string `json:"release,omitempty"`
}

// The views of hotspot answers and snapshots.
const (
	viewPublished = "published"
	viewFull      = "full"
)

func paramsOf(p hotspot.Params) paramsJSON {
	out := paramsJSON{
		Res: p.Res, AsOf: p.AsOf.Format(time.RFC3339), From: p.From.Format(time.RFC3339), HalfLife: hotspot.DurationText(p.HalfLife),
		Categories: nonNil(p.Categories), Agencies: p.Agencies, MinSource: p.MinSource, MinAssessment: p.MinAssessment,
		K: p.K, FDR: p.FDR, Period: hotspot.DurationText(p.Period), View: viewFull,
	}
	if p.Release != nil {
		out.View, out.MinReports = viewPublished, p.Release.K
		out.Release = hotspot.WeekStart(p.AsOf).Format(time.DateOnly)
	}
	if out.Agencies == nil {
		out.Agencies = []uuid.UUID{}
	}
	if p.BBox != nil {
		out.BBox = []float64{p.BBox.Min[0], p.BBox.Min[1], p.BBox.Max[0], p.BBox.Max[1]}
	}
	return out
}

// cellJSON is a hotspot cell's properties.
type cellJSON struct {
	Cell       string         `json:"cell"`
	Place      string         `json:"place"` // the nearest place of the gazetteer
	Score      float64        `json:"score"`
	Reports    int            `json:"reports"`
	Agencies   *int           `json:"agencies,omitempty"` // not published
	Categories map[string]int `json:"categories"`
	LastSeen   *string        `json:"last_seen"`
	Rank       int            `json:"rank"`
	// GiZ and GiP are not published.
	GiZ        *float64 `json:"gi_z,omitempty"`
	GiP        *float64 `json:"gi_p,omitempty"`
	Confidence int      `json:"confidence"`
	Trend      string   `json:"trend"`
	// Corroborated (reports another agency's corroborates) and
	// SingleSource (every report of one agency) are not published.
	Corroborated *int  `json:"corroborated,omitempty"`
	SingleSource *bool `json:"single_source,omitempty"`
}

func cellOf(c hotspot.CellScore, place string, published bool) cellJSON {
	out := cellJSON{Cell: c.Cell.String(), Place: place, Score: c.Score, Reports: c.Reports, Categories: c.Categories,
		Rank: c.Rank, Confidence: c.Confidence, Trend: c.Trend}
	if !published {
		out.Agencies = &c.Agencies
		out.Corroborated, out.SingleSource = &c.Corroborated, &c.SingleSource
		z, p := finite(c.GiZ), finite(c.GiP)
		out.GiZ, out.GiP = &z, &p
	}
	if out.Categories == nil {
		out.Categories = map[string]int{}
	}
	if !c.LastSeen.IsZero() {
		s := c.LastSeen.Format(time.RFC3339)
		out.LastSeen = &s
	}
	return out
}

func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// hotspots renders a result as a FeatureCollection with the foreign
// members parameters, generated_at, data_version and study_cells. A
// published view tells nothing of when data was written: no data_version,
// and generated_at is the start of the week its figures are as of, so the
// same figures are the same bytes.
func (g *geoWriter) hotspots(res *hotspot.Result, now time.Time) ([]byte, error) {
	b := make([]byte, 0, 256+len(res.Cells)*520)
	b = append(b, `{"type":"FeatureCollection","parameters":`...)
	pj, err := json.Marshal(paramsOf(res.Params))
	if err != nil {
		return nil, err
	}
	b = append(b, pj...)
	b = append(b, `,"generated_at":"`...)
	if res.Params.Release != nil {
		now = hotspot.WeekStart(res.Params.AsOf)
	}
	b = now.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, '"')
	if res.Params.Release == nil {
		b = append(b, `,"data_version":`...)
		b = strconv.AppendInt(b, res.Version, 10)
	}
	b = append(b, `,"study_cells":`...)
	b = strconv.AppendInt(b, int64(res.StudyCells), 10)
	b = append(b, `,"features":[`...)
	for i, c := range res.Cells {
		if i > 0 {
			b = append(b, ',')
		}
		cg, err := g.cell(c.Cell)
		if err != nil {
			return nil, err
		}
		id := c.Cell.String()
		b = append(b, `{"type":"Feature","id":"`...)
		b = append(b, id...)
		b = append(b, `","geometry":{"type":"Polygon","coordinates":`...)
		b = append(b, cg.ring...)
		b = append(b, `},"properties":{"cell":"`...)
		b = append(b, id...)
		b = append(b, `","place":`...)
		b = append(b, cg.placeJSON...)
		b = append(b, `,"score":`...)
		b = strconv.AppendFloat(b, c.Score, 'g', -1, 64)
		b = append(b, `,"reports":`...)
		b = strconv.AppendInt(b, int64(c.Reports), 10)
		if res.Params.Release == nil {
			b = append(b, `,"agencies":`...)
			b = strconv.AppendInt(b, int64(c.Agencies), 10)
		}
		b = append(b, `,"categories":{`...)
		first := true
		for _, cat := range categoryOrder {
			if n := c.Categories[cat]; n > 0 {
				if !first {
					b = append(b, ',')
				}
				first = false
				b = append(b, '"')
				b = append(b, cat...)
				b = append(b, `":`...)
				b = strconv.AppendInt(b, int64(n), 10)
			}
		}
		if c.LastSeen.IsZero() {
			b = append(b, `},"last_seen":null,"rank":`...)
		} else {
			b = append(b, `},"last_seen":"`...)
			b = c.LastSeen.AppendFormat(b, time.RFC3339)
			b = append(b, `","rank":`...)
		}
		b = strconv.AppendInt(b, int64(c.Rank), 10)
		if res.Params.Release == nil {
			b = append(b, `,"gi_z":`...)
			b = strconv.AppendFloat(b, finite(c.GiZ), 'g', -1, 64)
			b = append(b, `,"gi_p":`...)
			b = strconv.AppendFloat(b, finite(c.GiP), 'g', -1, 64)
		}
		b = append(b, `,"confidence":`...)
		b = strconv.AppendInt(b, int64(c.Confidence), 10)
		b = append(b, `,"trend":"`...)
		b = append(b, c.Trend...)
		b = append(b, '"')
		if res.Params.Release == nil {
			b = append(b, `,"corroborated":`...)
			b = strconv.AppendInt(b, int64(c.Corroborated), 10)
			b = append(b, `,"single_source":`...)
			b = strconv.AppendBool(b, c.SingleSource)
		}
		b = append(b, `}}`...)
	}
	b = append(b, "]}"...)
	return b, nil
}

// writeGeoJSON answers v as application/geo+json.
func (s *Server) writeGeoJSON(c echo.Context, status int, v any) error {
	c.Response().Header().Set(echo.HeaderContentType, mimeGeoJSON)
	c.Response().WriteHeader(status)
	return jsonEncode(c.Response(), v)
}
