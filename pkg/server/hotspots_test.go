package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"

	"github.com/hexwatch/hexwatch/pkg/demo"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/places"
	"github.com/hexwatch/hexwatch/pkg/release"
)

type hotspotFC struct {
	Parameters struct {
		AsOf       string `json:"as_of"`
		From       string `json:"from"`
		HalfLife   string `json:"half_life"`
		MinReports int    `json:"min_reports"`
	} `json:"parameters"`
	DataVersion int64 `json:"data_version"`
	StudyCells  int   `json:"study_cells"`
	Features    []struct {
		ID       string `json:"id"`
		Geometry struct {
			Type        string         `json:"type"`
			Coordinates [][][2]float64 `json:"coordinates"`
		} `json:"geometry"`
		Properties struct {
			Place      string  `json:"place"`
			Score      float64 `json:"score"`
			Reports    int     `json:"reports"`
			Rank       int     `json:"rank"`
			GiZ        float64 `json:"gi_z"`
			Confidence int     `json:"confidence"`
			Trend      string  `json:"trend"`
		} `json:"properties"`
	} `json:"features"`
}

func (f *fixture) hotspots(caller, query string) (hotspotFC, response) {
	f.t.Helper()
	r := f.json(caller, http.MethodGet, "/api/v1/hotspots"+query, nil)
	var fc hotspotFC
	if r.StatusCode == http.StatusOK {
		if err := json.Unmarshal(r.body, &fc); err != nil {
			f.t.Fatalf("hotspots: %v", err)
		}
	}
	return fc, r
}

// loadDemo posts n synthetic reports through the bulk endpoint, as two agencies.
func loadDemo(t *testing.T, f *fixture, n int) {
	t.Helper()
	loadDemoAt(t, f, n, time.Now())
}

// loadDemoAt posts n synthetic reports of the year before anchor.
func loadDemoAt(t *testing.T, f *fixture, n int, anchor time.Time) {
	t.Helper()
	gen := demo.New(42, n, 2, anchor, f.validator.Area)
	bodies := [2]*bytes.Buffer{{}, {}}
	for {
		r, err := gen.Next()
		if err != nil {
			break
		}
		b, _ := json.Marshal(r.Sub)
		bodies[r.Agency].Write(append(b, '\n'))
	}
	for i, caller := range []string{"partner-key", "other-partner-key"} {
		s := decodeSummary(t, bulk(f, caller, "application/x-ndjson", bodies[i], ""))
		if s.Rejected != 0 {
			t.Fatalf("demo upload: %d rejected: %+v", s.Rejected, s.Issues[:1])
		}
	}
	// The synthetic year counts as if each report was sent when it happened;
	// the published view reads the release of this week.
	if _, err := f.db.BackdateCounted(context.Background(), 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	f.publish(time.Now())
}

// publish computes the weekly releases of the cut-offs of the weeks of days.
func (f *fixture) publish(days ...time.Time) {
	f.t.Helper()
	for _, d := range days {
		if err := f.srv.Publisher().Publish(context.Background(), release.Cutoff(d), time.Now()); err != nil {
			f.t.Fatal(err)
		}
	}
}

// sqlScores is the defining formula computed by PostgreSQL over the raw
// reports table, for every cell at resolution $1 at once, with the window
// ($3 to $2), half-life ($4 seconds) and filters given: a report counts
// in the cell its stored cells say holds it, and its weight goes there
// whole, or, at a resolution where it has a spread, by the stored shares.
// It answers each cell's score and count.
const sqlScores = `WITH base AS (
	SELECT observed_at, cells[$1 - 5] AS held, spread_cells, spread_weights, ` + sqlWeight + ` AS w,
		EXISTS (SELECT 1 FROM unnest(spread_cells) sc WHERE (sc >> 52) & 15 = $1) AS spread
	FROM reports
	WHERE status = 'live' AND observed_at >= $3 AND observed_at <= $2 AND assessment <> 'E'
	  AND ($5::text[] IS NULL OR category = ANY($5)) AND source <= $6 AND assessment <= $7),
parts AS (
	SELECT held AS cell, CASE WHEN spread THEN 0 ELSE w * power(2, -extract(epoch FROM ($2::timestamptz - observed_at)) / $4) END AS score, 1 AS n FROM base
	UNION ALL
	SELECT sc, w * sw::float8 * power(2, -extract(epoch FROM ($2::timestamptz - observed_at)) / $4), 0
		FROM base, unnest(spread_cells, spread_weights) AS u(sc, sw) WHERE spread AND (sc >> 52) & 15 = $1)
SELECT cell, sum(score), sum(n)::int FROM parts GROUP BY cell`

func TestHotspotScoresEqualSQL(t *testing.T) {
	f := newFixture(t)
	loadDemo(t, f, 3000)
	// Withdrawn and erased reports must not count.
	var fc struct {
		Features []struct{ ID string } `json:"features"`
	}
	json.Unmarshal(f.json("analyst", http.MethodGet, "/api/v1/reports?limit=4&agency="+f.agencyA.ID.String(), nil).body, &fc)
	f.json("partner-key", http.MethodDelete, reportPath(fc.Features[0].ID), nil)
	f.json("admin", http.MethodPost, reportPath(fc.Features[1].ID)+"/erase", map[string]string{"reason": "test"})

	old := time.Now().Add(-100 * 24 * time.Hour).UTC().Format(time.RFC3339)
	for _, tt := range []struct {
		query      string
		categories []string
		minSource  int
		minAssess  string
	}{
		{"", nil, 3, "D"},
		{"?res=7&half_life=14d&categories=drug_supply,cuckooing", []string{"drug_supply", "cuckooing"}, 3, "D"},
		{"?res=9&window=90d&min_source=2&min_assessment=B", nil, 2, "B"},
		{"?res=6&half_life=72h", nil, 3, "D"},
		{"?res=10&as_of=" + url.QueryEscape(old) + "&window=200d", nil, 3, "D"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			f.t = t
			hs, r := f.hotspots("analyst", tt.query)
			if r.StatusCode != http.StatusOK || len(hs.Features) == 0 {
				t.Fatalf("got %d with %d features", r.StatusCode, len(hs.Features))
			}
			asOf, _ := time.Parse(time.RFC3339, hs.Parameters.AsOf)
			from, _ := time.Parse(time.RFC3339, hs.Parameters.From)
			hl, _ := time.ParseDuration(strings.Replace(hs.Parameters.HalfLife, "d", "", 1) + "h")
			if strings.HasSuffix(hs.Parameters.HalfLife, "d") {
				hl *= 24
			}
			var cats any
			if tt.categories != nil {
				cats = tt.categories
			}
			worst := 0.0
			type sums struct {
				score float64
				n     int
			}
			bySQL := map[int64]sums{}
			first, err := hexgrid.Parse(hs.Features[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := f.sql().Query(context.Background(), sqlScores, first.Resolution(), asOf, from, hl.Seconds(), cats, tt.minSource, tt.minAssess)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var c int64
				var sm sums
				if err := rows.Scan(&c, &sm.score, &sm.n); err != nil {
					t.Fatal(err)
				}
				bySQL[c] = sm
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			for _, ft := range hs.Features {
				cell, err := hexgrid.Parse(ft.ID)
				if err != nil {
					t.Fatal(err)
				}
				score, n := bySQL[int64(cell)].score, bySQL[int64(cell)].n
				rel := math.Abs(ft.Properties.Score-score) / math.Max(score, 1e-300)
				worst = max(worst, rel)
				if rel > 1e-9 || n != ft.Properties.Reports {
					t.Fatalf("cell %s: hexwatch %.15g from %d reports, SQL %.15g from %d", ft.ID, ft.Properties.Score, ft.Properties.Reports, score, n)
				}
			}
			t.Logf("%d cells, worst relative difference %.2g", len(hs.Features), worst)
		})
	}
}

func TestHotspotPolygonsAreH3AndRFC7946(t *testing.T) {
	f := newFixture(t)
	loadDemo(t, f, 500)
	for _, res := range []int{6, 8, 10} {
		hs, r := f.hotspots("analyst", fmt.Sprintf("?res=%d", res))
		if r.Header.Get("Content-Type") != "application/geo+json" || len(hs.Features) == 0 {
			t.Fatalf("res %d: %d features, %s", res, len(hs.Features), r.Header.Get("Content-Type"))
		}
		for _, ft := range hs.Features {
			ring := ft.Geometry.Coordinates[0]
			b, err := h3.CellToBoundary(h3.CellFromString(ft.ID))
			if err != nil {
				t.Fatal(err)
			}
			if ft.Geometry.Type != "Polygon" || len(ring) != len(b)+1 || ring[0] != ring[len(ring)-1] {
				t.Fatalf("cell %s: not a closed ring of its %d vertices: %v", ft.ID, len(b), ring)
			}
			orbRing := make(orb.Ring, len(ring))
			for i, p := range ring {
				orbRing[i] = orb.Point(p)
				if i < len(b) && (math.Abs(p[0]-b[i].Lng) > 1e-7 || math.Abs(p[1]-b[i].Lat) > 1e-7) {
					t.Fatalf("cell %s vertex %d: got %v, h3 says %v,%v (lon, lat)", ft.ID, i, p, b[i].Lng, b[i].Lat)
				}
			}
			if orbRing.Orientation() != orb.CCW {
				t.Fatalf("cell %s: ring is not counter-clockwise", ft.ID)
			}
		}
	}
}

func TestHotspotCellExplanation(t *testing.T) {
	f := newFixture(t)
	loadDemo(t, f, 2000)
	asOf := "?as_of=" + url.QueryEscape(time.Now().UTC().Truncate(time.Minute).Format(time.RFC3339))
	hs, _ := f.hotspots("analyst", asOf)
	top := hs.Features[0]
	var ex struct {
		Hotspot struct {
			Score float64 `json:"score"`
			Rank  int     `json:"rank"`
			Place string  `json:"place"`
		} `json:"hotspot"`
		TrendInWords string             `json:"trend_in_words"`
		ByCategory   map[string]float64 `json:"by_category"`
		ByAgencyKind map[string]float64 `json:"by_agency_kind"`
		Weeks        []struct{ Reports int }
		Neighbours   []struct{ Cell string }
		Links        map[string]string `json:"links"`
	}
	r := f.json("analyst", http.MethodGet, "/api/v1/hotspots/"+top.ID+asOf, nil)
	if err := json.Unmarshal(r.body, &ex); err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("explanation: %d %s", r.StatusCode, r.body)
	}
	sum, kinds := 0.0, 0.0
	for _, v := range ex.ByCategory {
		sum += v
	}
	for _, v := range ex.ByAgencyKind {
		kinds += v
	}
	if math.Abs(sum-top.Properties.Score) > 1e-9 || math.Abs(kinds-top.Properties.Score) > 1e-9 || ex.Hotspot.Rank != 1 {
		t.Fatalf("explanation: categories sum %v, kinds %v, score %v, rank %d", sum, kinds, top.Properties.Score, ex.Hotspot.Rank)
	}
	if len(ex.Weeks) < 52 || len(ex.Neighbours) != 6 || ex.TrendInWords == "" || ex.Links["reports"] == "" {
		t.Fatalf("explanation: %d weeks, %d neighbours, trend %q, links %v", len(ex.Weeks), len(ex.Neighbours), ex.TrendInWords, ex.Links)
	}
	places, err := places.LoadGazetteer("")
	if err != nil {
		t.Fatal(err)
	}
	cell, _ := hexgrid.Parse(top.ID)
	center, _ := cell.Center()
	if want := places.Nearest(center.Lat(), center.Lon()); want == "" || ex.Hotspot.Place != want || top.Properties.Place != want {
		t.Fatalf("place: %q in the explanation, %q in the hotspots, want %q", ex.Hotspot.Place, top.Properties.Place, want)
	}
	// The link lists exactly the reports behind the cell.
	var reports struct {
		Features []json.RawMessage `json:"features"`
	}
	json.Unmarshal(f.json("analyst", http.MethodGet, ex.Links["reports"]+"&limit=1000", nil).body, &reports)
	if len(reports.Features) != top.Properties.Reports {
		t.Fatalf("the reports link lists %d reports, the cell has %d", len(reports.Features), top.Properties.Reports)
	}
	published, _ := f.hotspots("partner-key", "")
	r = f.json("partner-key", http.MethodGet, "/api/v1/hotspots/"+published.Features[0].ID, nil)
	if r.StatusCode != http.StatusOK || strings.Contains(string(r.body), `"/api/`) || !strings.Contains(string(r.body), `"view":"published"`) {
		t.Fatalf("partner explanation: %d %s: a published view, with no link to raw reports", r.StatusCode, r.body)
	}
	for _, bad := range []string{"not-a-cell", "8a195da49ffffff"} {
		if r := f.json("analyst", http.MethodGet, "/api/v1/hotspots/"+bad, nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("cell %s: got %d, want 404", bad, r.StatusCode)
		}
	}
}

func TestHotspotsReadYourWritesAndETag(t *testing.T) {
	f := newFixture(t)
	f.publish(time.Now())
	hs, r := f.hotspots("analyst", "?res=10")
	tag := r.Header.Get("ETag")
	if tag == "" {
		t.Fatal("no ETag")
	}
	fixed := "/api/v1/hotspots?res=8"
	req, _ := http.NewRequest(http.MethodGet, f.http.URL+fixed, nil)
	req.Header.Set("Authorization", "Bearer "+f.callers["partner-key"].key)
	before := f.json("partner-key", http.MethodGet, fixed, nil).Header.Get("ETag")
	req.Header.Set("If-None-Match", before)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: got %v %v, want 304", resp.StatusCode, err)
	}

	// A report posted here is in the very next answer from here.
	sub := submission("ryw-1")
	sub["location"] = map[string]float64{"lat": 52.3917, "lon": 0.2666}
	if r := f.json("partner-key", http.MethodPost, "/api/v1/reports", sub); r.StatusCode != http.StatusCreated {
		t.Fatal(r.StatusCode)
	}
	after, r2 := f.hotspots("analyst", "?res=10")
	want, _ := hexgrid.Of(52.3917, 0.2666, 10)
	found := false
	for _, ft := range after.Features {
		found = found || ft.ID == want.String()
	}
	if !found || after.DataVersion <= hs.DataVersion || r2.Header.Get("ETag") == tag {
		t.Fatalf("after a post: cell found %v, version %d → %d, ETag changed %v", found, hs.DataVersion, after.DataVersion, r2.Header.Get("ETag") != tag)
	}
	// Another instance on the same database catches up by itself.
	other := newServer(t, f.db, nil)
	f2 := *f
	f2.srv = other
	f2.http = httptestServer(t, other)
	deadline := time.Now().Add(10 * time.Second)
	for {
		hs2, _ := f2.hotspots("analyst", "?res=10")
		if hs2.DataVersion >= after.DataVersion {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other instance is at version %d, want %d", hs2.DataVersion, after.DataVersion)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestHotspotBadParameters(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ query, field string }{
		{"?res=5", "res"},
		{"?res=eleven", "res"},
		{"?half_life=soon", "half_life"},
		{"?categories=burglary", "categories"},
		{"?min_assessment=E", "min_assessment"},
		{"?k=9", "k"},
		{"?bbox=1,2,3", "bbox"},
		{"?bbox=0.5,52.5,0.1,52.1", "bbox"},
		{"?as_of=2026-13-45", "as_of"},
		{"?from=2030-01-01", "from"},
		{"?window=90d&from=2026-01-01", "window"},
		{"?colour=red", "colour"},
		{"?fdr=maybe", "fdr"},
		{"?window=2190d&period=1d", "period"},
		{"?res=8;window=90d", "res"},
		{"?window=90d&res=8&res=9", "res"},
		{"?categories=weapons&categories=violence", "categories"},
	} {
		r := f.json("analyst", http.MethodGet, "/api/v1/hotspots"+tt.query, nil)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.body), `"field":"`+tt.field+`"`) {
			t.Errorf("%s: got %d %s, want 400 naming %s", tt.query, r.StatusCode, r.body, tt.field)
		}
	}
}

func TestRepeatedHotspotsAreGzipped(t *testing.T) {
	f := newFixture(t)
	loadDemo(t, f, 500)
	get := func() *http.Response {
		req, _ := http.NewRequest(http.MethodGet, f.http.URL+"/api/v1/hotspots?res=8&window=182d", nil)
		req.Header.Set("Authorization", "Bearer "+f.callers["partner-key"].key)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	first := get()
	plain, _ := io.ReadAll(first.Body)
	first.Body.Close()
	if first.StatusCode != http.StatusOK {
		t.Fatalf("the first answer: %d %s", first.StatusCode, plain)
	}
	if first.Header.Get("Content-Encoding") != "" {
		t.Fatal("a first answer was compressed: it should go out at once")
	}
	second := get()
	defer second.Body.Close()
	if second.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("the repeated answer: Content-Encoding %q, want gzip", second.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(second.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain) {
		t.Fatal("the gzipped answer differs from the plain one")
	}
}
