package snapshot

import (
	"cmp"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/places"
	"github.com/hexwatch/hexwatch/pkg/snapshot/pdfwords"
)

// site is a hotspot of the test briefing: its hexagon scores top, the
// two rings around it less.
type site struct {
	lat, lon, top float64
}

// The hotspots of the test briefings. twoCities are where the
// demonstration puts them: clusters in Peterborough and Cambridge, and
// lone ones in the towns.
var (
	twoCities = []site{
		{52.5749, -0.2503, 300}, {52.5820, -0.2560, 200}, {52.5726, -0.2430, 150}, {52.5450, -0.2850, 90}, // Peterborough
		{52.1943, 0.1373, 250}, {52.2055, 0.1190, 180}, {52.2295, 0.1335, 120}, // Cambridge
		{52.6664, 0.1590, 160}, {52.5600, 0.0917, 60}, {52.3306, -0.1846, 40}, {52.3917, 0.2666, 30}, {52.2286, -0.2661, 20},
	}
	oneCity = []site{
		{52.5749, -0.2503, 300}, {52.5820, -0.2560, 280}, {52.5726, -0.2430, 260}, {52.5450, -0.2850, 240},
		{52.6100, -0.2810, 220}, {52.5930, -0.2210, 200}, {52.5560, -0.2190, 180}, {52.5280, -0.2620, 160},
		{52.1943, 0.1373, 40}, {52.6664, 0.1590, 30},
	}
	fourTowns = []site{
		{52.5749, -0.2503, 300}, {52.5820, -0.2560, 280}, {52.1943, 0.1373, 260}, {52.2055, 0.1190, 240},
		{52.6664, 0.1590, 220}, {52.6664, 0.1750, 200}, {52.5600, 0.0917, 180}, {52.5700, 0.0900, 170},
		{52.3306, -0.1846, 160}, {52.3917, 0.2666, 150}, {52.2286, -0.2661, 20},
	}
)

// briefingContent is a snapshot at resolution 8 of hotspots at sites.
func briefingContent(t *testing.T, g *places.Gazetteer, sites []site) Content {
	t.Helper()
	score := map[hexgrid.Cell]float64{}
	for i, s := range sites {
		centre, err := hexgrid.Of(s.lat, s.lon, 8)
		if err != nil {
			t.Fatal(err)
		}
		for ring, share := range []float64{1, 0.35, 0.12} {
			disk, err := centre.Disk(ring)
			if err != nil {
				t.Fatal(err)
			}
			for j, c := range disk {
				if _, ok := score[c]; !ok || ring == 0 {
					score[c] += s.top * share * (1 + float64((i+j)%5)/50)
				}
			}
		}
	}
	var cells []FrozenCell
	for c, v := range score {
		centre, _ := c.Center()
		poly, _ := c.Polygon()
		ring := make([][2]float64, len(poly[0]))
		for i, p := range poly[0] {
			ring[i] = [2]float64(p)
		}
		cells = append(cells, FrozenCell{Cell: c.String(), Score: v, Reports: int(v / 3), Lat: centre[1], Lon: centre[0],
			Place: g.Nearest(centre[1], centre[0]), Ring: ring, Trend: "steady"})
	}
	slices.SortFunc(cells, func(a, b FrozenCell) int { return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Cell, b.Cell)) })
	for i := range cells {
		cells[i].Rank = i + 1
	}
	c := content(cells...)
	c.Title, c.CreatedAt, c.CreatedBy = "December tasking group", "2026-11-30T19:05:00Z", "chair"
	c.Parameters = []byte(`{"res":8,"as_of":"2026-11-30T00:00:00Z","from":"2026-06-01T00:00:00+01:00","half_life":"28d","categories":[],` +
		`"agencies":[],"min_source":3,"min_assessment":"D","k":1,"fdr":false,"period":"28d","view":"full","min_reports":0}`)
	return c
}

// TestBriefingMapInsets renders the briefings of snapshots whose top
// hexagons crowd one city, two, or four towns, and reads their map page
// as a reader would: no two words overlap, each of the top ten ranks is
// written on it, alone, and the crowds have their insets. The pages are
// also rendered as pictures, which a broken PDF fails;
// HEXWATCH_BRIEFING_PICTURES names a directory to keep them and the
// briefings in.
func TestBriefingMapInsets(t *testing.T) {
	for _, tool := range []string{"pdftotext", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install poppler-utils (make tools)", tool)
		}
	}
	g, err := places.LoadGazetteer("")
	if err != nil {
		t.Fatal(err)
	}
	area, err := intel.LoadServiceArea("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		sites  []site
		insets int
	}{{"one-city", oneCity, 1}, {"two-cities", twoCities, 2}, {"four-towns", fourTowns, 4}} {
		t.Run(tc.name, func(t *testing.T) {
			c := briefingContent(t, g, tc.sites)
			before := c
			before.Cells = slices.Clone(c.Cells[5:])
			for i := range before.Cells {
				before.Cells[i].Score *= 0.7
			}
			b, err := PDF(Briefing{Content: c, SHA256: "0", Changes: Compare(c, before, g.Places()),
				Against: &Against{Title: "November tasking group", Settings: Settings(c.Parameters)}, Area: area.Shape, Places: g.Places()})
			if err != nil {
				t.Fatal(err)
			}
			dir := cmp.Or(os.Getenv("HEXWATCH_BRIEFING_PICTURES"), t.TempDir())
			path := filepath.Join(dir, tc.name+".pdf")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			checkMapPage(t, path, tc.insets)
			if msg, err := exec.Command("pdftoppm", "-png", "-r", "80", path, filepath.Join(dir, tc.name)).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v %s", err, msg)
			}
		})
	}
}

// checkMapPage reads the briefing at path: 2 or 3 pages, and on the
// first no two words overlapping, insets insets and every top rank.
func checkMapPage(t *testing.T, path string, insets int) {
	t.Helper()
	words, pages, err := pdfwords.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if pages < 2 || pages > 3 {
		t.Errorf("the briefing has %d pages, want 2 or 3", pages)
	}
	first := pdfwords.OnPage(words, 1)
	for _, o := range pdfwords.Overlaps(first) {
		t.Errorf("on the map page %s", o)
	}
	if n := len(slices.DeleteFunc(slices.Clone(first), func(w pdfwords.Word) bool { return w.Text != "Inset" })); n != insets {
		t.Errorf("the map page has %d insets, want %d", n, insets)
	}
	for rank := 1; rank <= rankedOnMap; rank++ {
		if !slices.ContainsFunc(first, func(w pdfwords.Word) bool { return w.Alone && w.Text == strconv.Itoa(rank) }) {
			t.Errorf("rank %d is not written on the map page", rank)
		}
	}
}
