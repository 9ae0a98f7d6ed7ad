package intel

import (
	"errors"
	"fmt"

	"github.com/hexwatch/hexwatch/pkg/places"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// ServiceArea is the area a deployment covers: reports outside it are refused.
type ServiceArea struct {
	Shape orb.MultiPolygon
	bound orb.Bound
}

// LoadServiceArea reads a GeoJSON file of Polygon or MultiPolygon features
// (or one such geometry) in WGS84; the built-in one when path is empty.
func LoadServiceArea(path string) (*ServiceArea, error) {
	b, err := places.ServiceArea(path)
	if err != nil {
		return nil, err
	}
	return ParseServiceArea(b)
}

// ParseServiceArea reads a service area from GeoJSON.
func ParseServiceArea(b []byte) (*ServiceArea, error) {
	var geoms []orb.Geometry
	if fc, err := geojson.UnmarshalFeatureCollection(b); err == nil && len(fc.Features) > 0 {
		for _, f := range fc.Features {
			geoms = append(geoms, f.Geometry)
		}
	} else if g, err := geojson.UnmarshalGeometry(b); err == nil {
		geoms = append(geoms, g.Geometry())
	} else {
		return nil, fmt.Errorf("intel: service area: not GeoJSON: %w", err)
	}
	var mp orb.MultiPolygon
	for _, g := range geoms {
		switch g := g.(type) {
		case orb.Polygon:
			mp = append(mp, g)
		case orb.MultiPolygon:
			mp = append(mp, g...)
		default:
			return nil, fmt.Errorf("intel: service area: %s geometry; want Polygon or MultiPolygon", g.GeoJSONType())
		}
	}
	if len(mp) == 0 {
		return nil, errors.New("intel: service area: no polygon")
	}
	return &ServiceArea{Shape: mp, bound: mp.Bound()}, nil
}

// Contains reports whether p lies in the area.
func (a *ServiceArea) Contains(p Point) bool {
	pt := orb.Point{p.Lon, p.Lat}
	return a.bound.Contains(pt) && planar.MultiPolygonContains(a.Shape, pt)
}

// Bound is the area's bounding box.
func (a *ServiceArea) Bound() orb.Bound { return a.bound }
