package server_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// apiKey makes an API key of role for agency ag, for clients like GDAL.
func (f *fixture) apiKey(role auth.Role, ag store.Agency) string {
	f.t.Helper()
	k, prefix := auth.NewAPIKey()
	if _, err := f.db.CreateAPIKey(context.Background(), store.NewAPIKey{Hash: auth.HashSecret(k), Prefix: prefix, AgencyID: ag.ID, Role: role, CreatedBy: "test"},
		store.AuditEvent{Action: store.ActionAdmin, Actor: "test"}); err != nil {
		f.t.Fatal(err)
	}
	return k
}

type ogcFC struct {
	Features []struct {
		ID         string          `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	} `json:"features"`
	NumberMatched  int `json:"numberMatched"`
	NumberReturned int `json:"numberReturned"`
	Links          []struct {
		Href string `json:"href"`
		Rel  string `json:"rel"`
	} `json:"links"`
}

// pageThrough reads a collection's items as caller, following next links.
func (f *fixture) pageThrough(caller, path string) (features []map[string]any, pages int) {
	f.t.Helper()
	next := path
	for next != "" {
		r := f.json(caller, http.MethodGet, strings.TrimPrefix(next, f.http.URL), nil)
		var fc ogcFC
		if r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &fc) != nil {
			f.t.Fatalf("%s: %d %.300s", next, r.StatusCode, r.body)
		}
		if fc.NumberReturned != len(fc.Features) {
			f.t.Fatalf("numberReturned %d, %d features", fc.NumberReturned, len(fc.Features))
		}
		pages++
		next = ""
		for _, l := range fc.Links {
			if l.Rel == "next" {
				next = l.Href
			}
		}
		for _, ft := range fc.Features {
			features = append(features, map[string]any{"id": ft.ID, "properties": ft.Properties})
		}
	}
	return features, pages
}

// TestOGCFeatures: /ogc answers each caller what the REST API answers it,
// paged; British National Grid coordinates are PostGIS's; GDAL's OAPIF
// driver reads the collections.
func TestOGCFeatures(t *testing.T) {
	f := newFixture(t)
	loadDemo(t, f, 1500)

	r := f.json("partner-key", http.MethodGet, "/ogc", nil)
	for _, rel := range []string{`"rel":"self"`, `"rel":"service-desc"`, `"rel":"service-doc"`, `"rel":"conformance"`, `"rel":"data"`} {
		if !strings.Contains(string(r.body), rel) {
			t.Errorf("the landing page lacks %s: %s", rel, r.body)
		}
	}
	if r := f.json("partner-key", http.MethodGet, "/ogc/conformance", nil); !strings.Contains(string(r.body), "ogcapi-features-2/1.0/conf/crs") {
		t.Errorf("conformance: %s", r.body)
	}

	// Every caller pages through the same features as the REST API gives it.
	asOf := "&as_of=" + url.QueryEscape(time.Now().UTC().Truncate(time.Second).Format(time.RFC3339))
	for _, caller := range []string{"partner-key", "analyst"} {
		q := "?res=8"
		if caller == "analyst" {
			q += asOf // the live view's scores follow the clock
		}
		var rest struct{ Features []map[string]any }
		if err := json.Unmarshal(f.json(caller, http.MethodGet, "/api/v1/hotspots"+q, nil).body, &rest); err != nil {
			t.Fatal(err)
		}
		want := rest.Features
		got, pages := f.pageThrough(caller, "/ogc/collections/hotspots/items"+q+"&limit=100")
		if len(got) != len(want) || len(want) == 0 || pages != (len(got)+99)/100 {
			t.Fatalf("%s: %d features in %d pages through /ogc, %d through /api/v1/hotspots", caller, len(got), pages, len(want))
		}
		for i := range got {
			if got[i]["id"] != want[i]["id"] {
				t.Fatalf("%s: feature %d is %v through /ogc, %v through the REST API", caller, i, got[i]["id"], want[i]["id"])
			}
			a, _ := json.Marshal(got[i]["properties"])
			b, _ := json.Marshal(want[i]["properties"])
			if string(a) != string(b) {
				t.Fatalf("%s: feature %v's properties differ:\n%s\n%s", caller, got[i]["id"], a, b)
			}
		}
	}
	// The published view's refusals are the same.
	if r := f.json("partner-key", http.MethodGet, "/ogc/collections/hotspots/items?res=10", nil); r.StatusCode != http.StatusBadRequest {
		t.Errorf("a partner's res=10 through /ogc: %d", r.StatusCode)
	}
	if r := f.json("partner-key", http.MethodGet, "/ogc/collections/reports/items", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("a partner's reports collection: %d", r.StatusCode)
	}

	// crs=EPSG:27700: PostGIS's coordinates, to the millimetre.
	var wgs, bng ogcFC
	_ = json.Unmarshal(f.json("analyst", http.MethodGet, "/ogc/collections/hotspots/items?res=8&limit=1"+asOf, nil).body, &wgs)
	rb := f.json("analyst", http.MethodGet, "/ogc/collections/hotspots/items?res=8&limit=1&crs=http://www.opengis.net/def/crs/EPSG/0/27700"+asOf, nil)
	_ = json.Unmarshal(rb.body, &bng)
	if rb.Header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/EPSG/0/27700>" || len(bng.Features) != 1 {
		t.Fatalf("BNG items: %s %.200s", rb.Header.Get("Content-Crs"), rb.body)
	}
	var dist float64
	if err := f.sql().QueryRow(context.Background(), `SELECT ST_HausdorffDistance(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), 27700), ST_SetSRID(ST_GeomFromGeoJSON($2), 27700))`,
		string(wgs.Features[0].Geometry), string(bng.Features[0].Geometry)).Scan(&dist); err != nil || dist > 0.001 {
		t.Errorf("BNG coordinates %v m from PostGIS's (%v)", dist, err)
	}

	// One feature, by its id; an unknown one is 404.
	one := f.json("analyst", http.MethodGet, "/ogc/collections/hotspots/items/"+wgs.Features[0].ID+"?res=8&crs=http://www.opengis.net/def/crs/EPSG/0/27700"+asOf, nil)
	var single struct {
		Type     string          `json:"type"`
		ID       string          `json:"id"`
		Geometry json.RawMessage `json:"geometry"`
	}
	if one.StatusCode != http.StatusOK || json.Unmarshal(one.body, &single) != nil || single.Type != "Feature" || single.ID != wgs.Features[0].ID ||
		string(single.Geometry) != string(bng.Features[0].Geometry) {
		t.Errorf("one feature: %d %.300s", one.StatusCode, one.body)
	}
	if r := f.json("analyst", http.MethodGet, "/ogc/collections/hotspots/items/8800000000fffff?res=8", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown feature: %d", r.StatusCode)
	}

	// GDAL's OAPIF driver, the key in GDAL_HTTP_HEADERS.
	ogr := func(key string, args ...string) string {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "GDAL_HTTP_HEADERS=Authorization: Bearer "+key, "GDAL_HTTP_UNSAFESSL=NO", "CPL_DEBUG=OFF")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Fatal("no ogrinfo: install gdal-bin (make tools)")
	}
	analystKey := f.apiKey(auth.Analyst, f.agencyA)
	for _, key := range []string{analystKey, f.callers["partner-key"].key} {
		if out := ogr(key, "ogrinfo", "-ro", "-q", "OAPIF:"+f.http.URL+"/ogc"); !strings.Contains(out, "hotspots") {
			t.Errorf("ogrinfo lists: %s", out)
		}
	}
	rest, _ := f.hotspots("analyst", "")
	dst := filepath.Join(t.TempDir(), "hotspots.geojson")
	ogr(analystKey, "ogr2ogr", "-f", "GeoJSON", dst, "OAPIF:"+f.http.URL+"/ogc", "hotspots", "-oo", "PAGE_SIZE=100")
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	var copied ogcFC
	if err := json.Unmarshal(b, &copied); err != nil || len(copied.Features) != len(rest.Features) {
		t.Fatalf("ogr2ogr copied %d features, the REST API has %d (%v)", len(copied.Features), len(rest.Features), err)
	}
	restByID := map[string]float64{}
	for _, ft := range rest.Features {
		restByID[ft.ID] = ft.Properties.Score
	}
	for _, ft := range copied.Features {
		id, _ := ft.Properties["id"].(string)
		score, _ := ft.Properties["score"].(float64)
		// The live scores decay with the clock between the two reads.
		if want, ok := restByID[id]; !ok || math.Abs(want-score) > 1e-3*want {
			t.Fatalf("ogr2ogr's %v score %v, the REST API's %v", id, score, want)
		}
	}
}
