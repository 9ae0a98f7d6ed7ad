package intel

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// The expected values are PostGIS's ST_Transform(..., 27700 → 4326) of the
// same points (PROJ with the OSGB36 Helmert parameters).
func TestFromBNG(t *testing.T) {
	tests := []struct {
		name              string
		easting, northing float64
		wantLat, wantLon  float64
	}{
		{"central Cambridge", 544895, 258431, 52.205064, 0.118958},
		{"central Peterborough", 519402, 298653, 52.572601, -0.239572},
	}
	for _, tt := range tests {
		p := FromBNG(tt.easting, tt.northing)
		// 0.0001 degrees is about 7-11 m here.
		if math.Abs(p.Lat-tt.wantLat) > 0.0001 || math.Abs(p.Lon-tt.wantLon) > 0.0001 {
			t.Errorf("%s: got %.5f,%.5f, want %.5f,%.5f", tt.name, p.Lat, p.Lon, tt.wantLat, tt.wantLon)
		}
	}
}

func TestParseLocation(t *testing.T) {
	tests := []struct {
		name, raw string
		wantField string
		wantLat   float64
	}{
		{"lat lon", `{"lat":52.2,"lon":0.12}`, "", 52.2},
		{"geojson", `{"type":"Point","coordinates":[0.12,52.2]}`, "", 52.2},
		{"bng", `{"easting":544895,"northing":258431}`, "", 52.2053},
		{"string lat", `{"lat":"52.2","lon":0.12}`, "location.lat", 0},
		{"huge", `{"lat":1e400,"lon":0.12}`, "location.lat", 0},
		{"lng", `{"lat":52.2,"lng":0.12}`, "location.lng", 0},
		{"null island", `{"lat":0,"lon":0}`, "location", 0},
		{"out of range", `{"lat":95,"lon":0.12}`, "location", 0},
		{"not point", `{"type":"Polygon","coordinates":[]}`, "location.type", 0},
		{"bng swapped", `{"easting":258431,"northing":544895}`, "", 0},
		{"bng out of range", `{"easting":-5,"northing":258431}`, "location.easting", 0},
		{"missing", ``, "location", 0},
		{"array", `[1,2]`, "location", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, errs := parseLocation(json.RawMessage(tt.raw))
			if tt.wantField == "" {
				if tt.wantLat != 0 && (errs != nil || math.Abs(p.Lat-tt.wantLat) > 0.001) {
					t.Fatalf("got %v, %v; want lat %v", p, errs, tt.wantLat)
				}
				return
			}
			if len(errs) == 0 || !strings.HasPrefix(errs[0].Field, tt.wantField) {
				t.Fatalf("got %v, want an error on %s", errs, tt.wantField)
			}
		})
	}
}
