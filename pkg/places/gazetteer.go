// Package places holds where hexwatch works: the service area and the
// gazetteer of named places that say where a hexagon is in words (the map
// labels and the snapshots' exports both use it). The defaults, for
// Cambridgeshire and Peterborough, are built into the binary; a deployment
// elsewhere names its own files (HEXWATCH_SERVICE_AREA, HEXWATCH_GAZETTEER).
package places

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// Gazetteer names places, to say where a hexagon is in words.
type Gazetteer struct {
	places []place
}

type place struct {
	name     string
	lat, lon float64
}

//go:embed service-area.geojson
var defaultServiceArea []byte

//go:embed gazetteer.csv
var defaultGazetteer []byte

// ServiceArea is the GeoJSON of the service area at path, or the built-in
// one when path is empty.
func ServiceArea(path string) ([]byte, error) {
	if path == "" {
		return defaultServiceArea, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("places: service area: %w", err)
	}
	return b, nil
}

// LoadGazetteer reads a CSV of name,lat,lon with a header row from path,
// or the built-in gazetteer when path is empty.
func LoadGazetteer(path string) (*Gazetteer, error) {
	b := defaultGazetteer
	if path != "" {
		var err error
		if b, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("places: gazetteer: %w", err)
		}
	} else {
		path = "built-in"
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) < 2 {
		return nil, fmt.Errorf("places: gazetteer %s: want a header and rows of name,lat,lon", path)
	}
	g := &Gazetteer{}
	for i, r := range rows[1:] {
		if len(r) != 3 {
			return nil, fmt.Errorf("places: gazetteer line %d: want name,lat,lon", i+2)
		}
		lat, err1 := strconv.ParseFloat(r[1], 64)
		lon, err2 := strconv.ParseFloat(r[2], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("places: gazetteer line %d: bad coordinates", i+2)
		}
		g.places = append(g.places, place{r[0], lat, lon})
	}
	return g, nil
}

// Nearest is the name of the place nearest to (lat, lon).
func (g *Gazetteer) Nearest(lat, lon float64) string {
	best, bestD := "", math.Inf(1)
	for _, p := range g.places {
		dx := (p.lon - lon) * math.Cos(lat*math.Pi/180)
		dy := p.lat - lat
		if d := dx*dx + dy*dy; d < bestD {
			best, bestD = p.name, d
		}
	}
	return best
}

// Place is a named place of the gazetteer.
type Place struct {
	Name string  `json:"name"`
	Lat  float64 `json:"lat"`
	Lon  float64 `json:"lon"`
}

// Places lists the gazetteer's places, for labels on a map.
func (g *Gazetteer) Places() []Place {
	out := make([]Place, len(g.places))
	for i, p := range g.places {
		out[i] = Place{p.name, p.lat, p.lon}
	}
	return out
}

// Radius bounds of a named place: a place reaches halfway to its nearest
// neighbour in the gazetteer, within these.
const (
	MinRadiusM = 300
	MaxRadiusM = 3000
)

// Find is the place named name (case and surrounding space ignored) and
// how far it reaches in metres: half the distance to the nearest other
// place, within MinRadiusM and MaxRadiusM.
func (g *Gazetteer) Find(name string) (p Place, radiusM float64, ok bool) {
	name = strings.TrimSpace(name)
	for _, q := range g.places {
		if strings.EqualFold(q.name, name) {
			p, ok = Place{q.name, q.lat, q.lon}, true
			break
		}
	}
	if !ok {
		return Place{}, 0, false
	}
	nearest := math.Inf(1)
	for _, q := range g.places {
		if q.name != p.Name {
			nearest = min(nearest, metres(p.Lat, p.Lon, q.lat, q.lon))
		}
	}
	return p, min(MaxRadiusM, max(MinRadiusM, nearest/2)), true
}

// metres is the distance between two points, on a sphere.
func metres(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371008.8
	φ1, φ2 := lat1*math.Pi/180, lat2*math.Pi/180
	dφ, dλ := φ2-φ1, (lon2-lon1)*math.Pi/180
	a := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}
