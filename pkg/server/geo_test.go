package server

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/places"
)

// TestGeoWriterMatchesEncodingJSON renders a result by hand, as the map's
// hot path does, and checks it against encoding/json's rendering of the
// same cells, in the full view and in the published one.
func TestGeoWriterMatchesEncodingJSON(t *testing.T) {
	places, err := places.LoadGazetteer("")
	if err != nil {
		t.Fatal(err)
	}
	g := &geoWriter{places: places}
	a, _ := hexgrid.Of(52.2053, 0.1218, 8)
	b, _ := hexgrid.Of(52.5695, -0.2405, 8)
	asOf := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	res := &hotspot.Result{
		Params: hotspot.Params{Res: 8, AsOf: asOf}.Defaults(asOf), StudyCells: 6243, Version: 42,
		Cells: []hotspot.CellScore{
			{Cell: a, Score: 12.5, Reports: 7, Agencies: 3, Categories: map[string]int{"drug_supply": 5, "weapons": 2},
				LastSeen: asOf.Add(-time.Hour), Rank: 1, GiZ: 3.2, GiP: 0.0014, Confidence: 99, Trend: "rising"},
			{Cell: b, Score: 1e-7, Reports: 1, Agencies: 1, Rank: 2, GiZ: math.NaN(), GiP: math.Inf(1), Trend: "new"},
		},
	}
	now := asOf.Add(time.Minute)
	for _, view := range []string{viewFull, viewPublished} {
		if view == viewPublished {
			res.Params.Release = &hotspot.Release{K: 5}
		}
		got, err := g.hotspots(res, now)
		if err != nil {
			t.Fatal(err)
		}
		var fc map[string]any
		if err := json.Unmarshal(got, &fc); err != nil {
			t.Fatalf("%s: not JSON: %v\n%s", view, err, got)
		}
		feats := fc["features"].([]any)
		if len(feats) != 2 {
			t.Fatalf("%s: %d features", view, len(feats))
		}
		for i, c := range res.Cells {
			place, err := g.place(c.Cell)
			if err != nil {
				t.Fatal(err)
			}
			var want any
			if err := roundTrip(cellOf(c, place, view == viewPublished), &want); err != nil {
				t.Fatal(err)
			}
			if props := feats[i].(map[string]any)["properties"]; !reflect.DeepEqual(props, want) {
				t.Errorf("%s, cell %d:\n got %v\nwant %v", view, i, props, want)
			}
		}
		_, hasVersion := fc["data_version"]
		if hasVersion == (view == viewPublished) {
			t.Errorf("%s: data_version present: %v", view, hasVersion)
		}
	}
}

// TestGeoCacheKeepsEachCellApart warms the cache with a block of cells
// while other goroutines ask for them, and checks that every cell reads
// back as a writer that never cached it renders it, and that appending
// to one cell's ring never writes into the next.
func TestGeoCacheKeepsEachCellApart(t *testing.T) {
	gz, err := places.LoadGazetteer("")
	if err != nil {
		t.Fatal(err)
	}
	centre, _ := hexgrid.Of(52.2053, 0.1218, 9)
	cells, err := centre.Disk(12)
	if err != nil {
		t.Fatal(err)
	}
	g := &geoWriter{places: gz}
	done := make(chan error, 4)
	go func() { done <- g.warm(cells) }()
	for w := range 3 {
		go func() {
			for i := w; i < len(cells); i += 3 {
				if _, err := g.cell(cells[i]); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if len(g.cells) != len(cells) {
		t.Fatalf("%d cells kept, want %d", len(g.cells), len(cells))
	}
	for _, c := range cells {
		got, err := g.cell(c)
		if err != nil {
			t.Fatal(err)
		}
		_ = append(got.ring, "]]]]"...)
		ring, place, err := render(nil, c, gz)
		if err != nil {
			t.Fatal(err)
		}
		pj, _ := json.Marshal(place)
		if string(got.ring) != string(ring) || got.place != place || string(got.placeJSON) != string(pj) {
			t.Fatalf("%s: kept %s %q %s, rendered %s %q %s", c, got.ring, got.place, got.placeJSON, ring, place, pj)
		}
	}
}
