package snapshot

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/hexwatch/hexwatch/pkg/places"
)

// The parameters of a published snapshot (26 weeks to Monday 30 November
// 2026, which began in summer time) and of one of exact figures.
const (
	publishedParams = `{"res":8,"as_of":"2026-11-30T00:00:00Z","from":"2026-05-31T23:00:00Z","half_life":"28d","categories":[],` +
		`"agencies":[],"min_source":3,"min_assessment":"D","k":1,"fdr":false,"period":"28d","view":"published","min_reports":3}`
	exactParams = `{"res":9,"as_of":"2026-12-03T10:15:00Z","from":"2026-09-03T10:15:00Z","half_life":"14d","categories":["weapons"],` +
		`"agencies":[],"min_source":3,"min_assessment":"D","k":1,"fdr":false,"period":"28d","view":"full","min_reports":0}`
)

func TestSettings(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{publishedParams, "published view · resolution 8 · 26 weeks to 30 November 2026 · half-life 4 weeks · all categories"},
		{exactParams, "exact figures · resolution 9 · 13 weeks to 3 December 2026 · half-life 2 weeks · categories weapons · all agencies · source 3 or better, assessment D or better"},
		{`{"res":8,"as_of":"2026-12-03T10:15:00Z","from":"2026-11-23T10:15:00Z","half_life":"1d","categories":["weapons","cuckooing"],` +
			`"agencies":["9b1c0e2f-0000-4000-8000-000000000002","3f2a9c1d-0000-4000-8000-000000000001"],"min_source":2,"min_assessment":"B","view":"full"}`,
			"exact figures · resolution 8 · 10 days to 3 December 2026 · half-life 1 day · categories cuckooing, weapons · 2 selected agencies · source 2 or better, assessment B or better"},
		{`{"res":8,"as_of":"2026-12-03T10:15:00Z","window":"84d","half_life":"28d","view":"published"}`,
			"published view · resolution 8 · 12 weeks to 3 December 2026 · half-life 4 weeks · all categories"},
	} {
		if got := Settings([]byte(tc.raw)); got != tc.want {
			t.Errorf("Settings(%s)\n got %q\nwant %q", tc.raw, got, tc.want)
		}
	}
}

// TestSettingsKey: snapshots of the same settings a week apart are alike;
// another half-life, agency (even one whose id begins alike), ring, view
// or area is not.
func TestSettingsKey(t *testing.T) {
	weekLater := `{"res":8,"as_of":"2026-12-07T00:00:00Z","from":"2026-06-07T23:00:00Z","half_life":"28d","categories":[],"agencies":[],` +
		`"min_source":3,"min_assessment":"D","k":1,"fdr":false,"view":"published","min_reports":3}`
	if SettingsKey([]byte(publishedParams)) != SettingsKey([]byte(weekLater)) {
		t.Errorf("a week later, the same settings: %q and %q", SettingsKey([]byte(publishedParams)), SettingsKey([]byte(weekLater)))
	}
	if Settings([]byte(publishedParams)) == Settings([]byte(weekLater)) {
		t.Error("Settings does not say when the window ends")
	}
	base := `{"res":8,"as_of":"2026-12-03T10:15:00Z","from":"2026-09-03T10:15:00Z","min_source":3,"min_assessment":"D",`
	alike := base + `"half_life":"28d","view":"full","agencies":["019ae4c2-7b3a-7c11-8f4e-3a2b1c0d9e8f"]}`
	for _, other := range []string{
		base + `"half_life":"56d","view":"full","agencies":["019ae4c2-7b3a-7c11-8f4e-3a2b1c0d9e8f"]}`,
		base + `"half_life":"28d","view":"full","agencies":["019ae4c2-7b3b-7c11-8f4e-3a2b1c0d9e90"]}`,
		base + `"half_life":"28d","view":"full","agencies":["019ae4c2-7b3a-7c11-8f4e-3a2b1c0d9e8f"],"k":2}`,
		base + `"half_life":"28d","view":"full","agencies":["019ae4c2-7b3a-7c11-8f4e-3a2b1c0d9e8f"],"fdr":true}`,
		base + `"half_life":"28d","view":"published"}`,
		base + `"half_life":"28d","view":"full","agencies":["019ae4c2-7b3a-7c11-8f4e-3a2b1c0d9e8f"],"bbox":[0.1,52.1,0.2,52.3]}`,
	} {
		if SettingsKey([]byte(alike)) == SettingsKey([]byte(other)) {
			t.Errorf("%s is alike with %s", other, alike)
		}
	}
}

// TestCSVComparison: the place column names hexagons as Labels does, and
// every row says what it is compared with, under which settings.
func TestCSVComparison(t *testing.T) {
	c := content(FrozenCell{Cell: "a", Rank: 1, Place: "Millfield", Lat: 52.5820, Lon: -0.2460},
		FrozenCell{Cell: "b", Rank: 2, Place: "Millfield", Lat: 52.5820, Lon: -0.2560},
		FrozenCell{Cell: "c", Rank: 3, Place: "Orton", Lat: 52.5450, Lon: -0.2850})
	c.Parameters = []byte(publishedParams)
	ps := []places.Place{{Name: "Millfield", Lat: 52.5820, Lon: -0.2560}}
	read := func(b []byte) [][]string {
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	col := map[string]int{}
	for i, name := range CSVHeader {
		col[name] = i
	}
	against := &Against{Title: "November tasking group", Settings: "published view · resolution 8", Recomputed: true}
	rows := read(CSV(c, nil, against, ps))
	for i, want := range []string{"Millfield, 0.7 km E", "Millfield, centre", "Orton"} {
		if got := rows[i+1][col["place"]]; got != want {
			t.Errorf("row %d: place %q, want %q", i+1, got, want)
		}
	}
	for _, r := range rows[1:] {
		if r[col["compared_with"]] != against.Title || r[col["settings"]] != Settings(c.Parameters) ||
			r[col["compared_settings"]] != "published view · resolution 8 (recomputed from its weekly release under these settings)" ||
			r[col["classification"]] != Official {
			t.Errorf("row %q does not say what it is compared with", r)
		}
	}
	for _, r := range read(CSV(c, nil, nil, ps))[1:] {
		if r[col["compared_with"]] != "" || r[col["compared_settings"]] != "" || r[col["settings"]] != Settings(c.Parameters) {
			t.Errorf("row %q compares with nothing: its compared_ columns are empty, its settings given", r)
		}
	}
}
