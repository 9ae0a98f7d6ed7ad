package intel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/hexwatch/hexwatch/pkg/bng"
)

// Point is a WGS84 position.
type Point struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Grid is how a location was given: it decides the hint when a point
// falls outside the service area.
type Grid int

const (
	// LatLon is WGS84 latitude and longitude, or a GeoJSON Point.
	LatLon Grid = iota
	// BNG is British National Grid easting and northing (EPSG:27700).
	BNG
)

// FromBNG converts a British National Grid easting and northing (metres,
// EPSG:27700) to WGS84 as PostGIS does (package bng).
func FromBNG(easting, northing float64) Point {
	lon, lat := bng.ToWGS84(easting, northing)
	return Point{Lat: lat, Lon: lon}
}

// parseLocation reads the location member of a report: {"lat","lon"},
// {"easting","northing"} or a GeoJSON Point.
func parseLocation(raw json.RawMessage) (Point, Grid, []FieldError) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return Point{}, LatLon, []FieldError{{Field: "location", Message: `required: {"lat","lon"}, {"easting","northing"} or a GeoJSON Point`, Code: CodeRequired}}
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return Point{}, LatLon, []FieldError{{Field: "location", Message: `must be an object: {"lat","lon"}, {"easting","northing"} or a GeoJSON Point`}}
	}
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	switch strings.Join(keys, ",") {
	case "lat,lon":
		lat, e1 := number("location.lat", members["lat"])
		lon, e2 := number("location.lon", members["lon"])
		if errs := join(e1, e2); errs != nil {
			return Point{}, LatLon, errs
		}
		return Point{lat, lon}, LatLon, checkLatLon("location", lat, lon)
	case "easting,northing":
		e, e1 := number("location.easting", members["easting"])
		n, e2 := number("location.northing", members["northing"])
		if errs := join(e1, e2); errs != nil {
			return Point{}, BNG, errs
		}
		return pointFromBNG("location", e, n)
	case "coordinates,type":
		return parseGeoJSONPoint("location", members)
	}
	for _, k := range keys {
		switch k {
		case "lat", "lon", "easting", "northing", "type", "coordinates":
		case "lng", "long", "longitude", "latitude", "x", "y":
			return Point{}, LatLon, []FieldError{{Field: "location." + k, Message: `unknown member: give "lat" and "lon", or "easting" and "northing"`}}
		default:
			return Point{}, LatLon, []FieldError{{Field: "location." + k, Message: "unknown member"}}
		}
	}
	return Point{}, LatLon, []FieldError{{Field: "location", Message: `give both "lat" and "lon", both "easting" and "northing", or a GeoJSON Point`}}
}

func parseGeoJSONPoint(field string, members map[string]json.RawMessage) (Point, Grid, []FieldError) {
	var typ string
	if err := json.Unmarshal(members["type"], &typ); err != nil || typ != "Point" {
		return Point{}, LatLon, []FieldError{{Field: field + ".type", Message: `must be "Point"`}}
	}
	var coords []json.RawMessage
	if err := json.Unmarshal(members["coordinates"], &coords); err != nil || len(coords) < 2 || len(coords) > 3 {
		return Point{}, LatLon, []FieldError{{Field: field + ".coordinates", Message: "must be [longitude, latitude]"}}
	}
	lon, e1 := number(field+".coordinates[0]", coords[0])
	lat, e2 := number(field+".coordinates[1]", coords[1])
	if errs := join(e1, e2); errs != nil {
		return Point{}, LatLon, errs
	}
	return Point{lat, lon}, LatLon, checkLatLon(field+".coordinates", lat, lon)
}

func pointFromBNG(field string, e, n float64) (Point, Grid, []FieldError) {
	var errs []FieldError
	if e < 0 || e > 700000 {
		errs = append(errs, FieldError{Field: field + ".easting", Message: "must be 0 to 700000 metres (British National Grid)"})
	}
	if n < 0 || n > 1300000 {
		errs = append(errs, FieldError{Field: field + ".northing", Message: "must be 0 to 1300000 metres (British National Grid)"})
	}
	if errs != nil {
		if n >= 0 && n <= 700000 && e > 700000 && e <= 1300000 {
			errs = append(errs, FieldError{Field: field, Message: "easting and northing look swapped"})
		}
		return Point{}, BNG, errs
	}
	return FromBNG(e, n), BNG, nil
}

func checkLatLon(field string, lat, lon float64) []FieldError {
	var errs []FieldError
	if lat < -90 || lat > 90 {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf("latitude %v is outside -90 to 90", lat)})
	}
	if lon < -180 || lon > 180 {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf("longitude %v is outside -180 to 180", lon)})
	}
	if lat == 0 && lon == 0 {
		errs = append(errs, FieldError{Field: field, Message: "0,0 is not a real location: it is what a system sends when it has none"})
	}
	return errs
}

// number reads a JSON number, refusing strings, NaN, infinities and
// values beyond float64.
func number(field string, raw json.RawMessage) (float64, []FieldError) {
	s := string(bytes.TrimSpace(raw))
	if strings.HasPrefix(s, `"`) {
		return 0, []FieldError{{Field: field, Message: "must be a number, not a string"}}
	}
	if s == "" || s == "null" {
		return 0, []FieldError{{Field: field, Message: "required"}}
	}
	return parseFloat(field, s)
}

// parseFloat reads a finite decimal number.
func parseFloat(field, s string) (float64, []FieldError) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	switch {
	case err != nil && strings.Contains(err.Error(), "out of range"):
		return 0, []FieldError{{Field: field, Message: "number out of range"}}
	case err != nil:
		return 0, []FieldError{{Field: field, Message: fmt.Sprintf("must be a number, got %q", truncate(s, 40))}}
	case math.IsNaN(f) || math.IsInf(f, 0):
		return 0, []FieldError{{Field: field, Message: "must be a finite number"}}
	}
	return f, nil
}

func join(errs ...[]FieldError) []FieldError {
	var out []FieldError
	for _, e := range errs {
		out = append(out, e...)
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
