package snapshot

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"strconv"
)

// Gazetteer names places, to say where a hexagon is in words.
type Gazetteer struct {
	places []place
}

type place struct {
	name     string
	lat, lon float64
}

// LoadGazetteer reads a CSV of name,lat,lon with a header row.
func LoadGazetteer(path string) (*Gazetteer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: gazetteer: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 {
		return nil, fmt.Errorf("snapshot: gazetteer %s: want a header and rows of name,lat,lon", path)
	}
	g := &Gazetteer{}
	for i, r := range rows[1:] {
		if len(r) != 3 {
			return nil, fmt.Errorf("snapshot: gazetteer line %d: want name,lat,lon", i+2)
		}
		lat, err1 := strconv.ParseFloat(r[1], 64)
		lon, err2 := strconv.ParseFloat(r[2], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("snapshot: gazetteer line %d: bad coordinates", i+2)
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
