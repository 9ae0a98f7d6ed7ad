package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
	const crsBNG = "http://www.opengis.net/def/crs/EPSG/0/27700"
	rb := f.json("analyst", http.MethodGet, "/ogc/collections/hotspots/items?res=8&limit=1&crs="+crsBNG+asOf, nil)
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
	// BNG without -t_srs: GDAL reads the items in EPSG:27700 as the server
	// gives them, and they are PostGIS's transformation of the WGS84 ones.
	bngFile := filepath.Join(t.TempDir(), "bng.geojson")
	ogr(analystKey, "ogr2ogr", "-f", "GeoJSON", "-a_srs", "EPSG:27700", bngFile,
		f.http.URL+"/ogc/collections/hotspots/items?res=8&limit=10000&crs="+url.QueryEscape(crsBNG)+asOf)
	var gdalBNG ogcFC
	if b, err := os.ReadFile(bngFile); err != nil || json.Unmarshal(b, &gdalBNG) != nil || len(gdalBNG.Features) == 0 {
		t.Fatalf("ogr2ogr in BNG: %v", err)
	}
	var wgsAll ogcFC
	_ = json.Unmarshal(f.json("analyst", http.MethodGet, "/ogc/collections/hotspots/items?res=8&limit=10000"+asOf, nil).body, &wgsAll)
	if len(wgsAll.Features) != len(gdalBNG.Features) {
		t.Fatalf("%d features in BNG through GDAL, %d in WGS84", len(gdalBNG.Features), len(wgsAll.Features))
	}
	for i, ft := range gdalBNG.Features {
		var d float64
		if err := f.sql().QueryRow(context.Background(), `SELECT ST_HausdorffDistance(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), 27700), ST_SetSRID(ST_GeomFromGeoJSON($2), 27700))`,
			string(wgsAll.Features[i].Geometry), string(ft.Geometry)).Scan(&d); err != nil || d > 0.001 {
			t.Fatalf("feature %d through GDAL in BNG is %v m from PostGIS's (%v)", i, d, err)
		}
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

// collectionIDs are the ids of the collections /ogc/collections lists caller.
func (f *fixture) collectionIDs(caller string) map[string]bool {
	f.t.Helper()
	var list struct {
		Collections []struct {
			ID string `json:"id"`
		} `json:"collections"`
	}
	if r := f.json(caller, http.MethodGet, "/ogc/collections", nil); r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &list) != nil {
		f.t.Fatalf("collections of %s: %d %s", caller, r.StatusCode, r.body)
	}
	out := map[string]bool{}
	for _, c := range list.Collections {
		out[c.ID] = true
	}
	return out
}

// TestOGCCollections: snapshots and reports as collections, for those who
// may see them only; a snapshot read by GDAL into a GeoPackage is its
// GeoJSON export; reports page by cursor and filter by datetime as the
// REST API does; ArcGIS Pro's HTTP Basic carries the key.
func TestOGCCollections(t *testing.T) {
	f := newFixture(t)
	loadDemo(t, f, 1500)
	published := f.snapshot()
	r := f.json("analyst", http.MethodPost, "/api/v1/snapshots", map[string]any{
		"title": "Exact", "meeting_date": "2026-12-03", "parameters": map[string]any{"res": 7}, "view": "full"})
	var exact struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(r.body, &exact); err != nil || r.StatusCode != http.StatusCreated {
		t.Fatalf("exact snapshot: %d %s", r.StatusCode, r.body)
	}
	pubID, exactID := "snapshot-"+published, "snapshot-"+exact.ID

	// Each role's collections.
	for caller, want := range map[string]map[string]bool{
		"analyst":     {"hotspots": true, "reports": true, pubID: true, exactID: true},
		"chair":       {"hotspots": true, "reports": false, pubID: true, exactID: false},
		"partner-key": {"hotspots": true, "reports": false, pubID: false, exactID: false},
	} {
		got := f.collectionIDs(caller)
		for id, listed := range want {
			if got[id] != listed {
				t.Errorf("%s: collection %s listed %v, want %v", caller, id, got[id], listed)
			}
			code := http.StatusOK
			if !listed {
				code = http.StatusNotFound
			}
			if r := f.json(caller, http.MethodGet, "/ogc/collections/"+id+"/items?limit=1", nil); r.StatusCode != code {
				t.Errorf("%s reads %s: %d, want %d", caller, id, r.StatusCode, code)
			}
		}
	}

	// ogr2ogr from the published snapshot to a GeoPackage, as the chair
	// with HTTP Basic: the features of the snapshot's GeoJSON export.
	chairKey := f.apiKey(auth.Chair, f.agencyA)
	dir := t.TempDir()
	gdal := func(args ...string) {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "GDAL_HTTP_AUTH=BASIC", "GDAL_HTTP_USERPWD=arcgis:"+chairKey, "CPL_DEBUG=OFF")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	before := f.auditOf(published, "disclose")
	gpkg := filepath.Join(dir, "snapshot.gpkg")
	gdal("ogr2ogr", "-f", "GPKG", gpkg, "OAPIF:"+f.http.URL+"/ogc", pubID, "-nln", "snapshot", "-oo", "PAGE_SIZE=50")
	if f.auditOf(published, "disclose") <= before {
		t.Error("reading a snapshot through /ogc left no disclosure in the audit log")
	}
	back := filepath.Join(dir, "snapshot.geojson")
	gdal("ogr2ogr", "-f", "GeoJSON", back, gpkg, "snapshot")
	var fromGPKG ogcFC
	if b, err := os.ReadFile(back); err != nil || json.Unmarshal(b, &fromGPKG) != nil {
		t.Fatalf("read %s: %v", back, err)
	}
	var export ogcFC
	if err := json.Unmarshal(f.export("chair", published, "hotspots.geojson"), &export); err != nil {
		t.Fatal(err)
	}
	if len(fromGPKG.Features) != len(export.Features) || len(export.Features) == 0 {
		t.Fatalf("the GeoPackage holds %d features, the export %d", len(fromGPKG.Features), len(export.Features))
	}
	for i, ft := range fromGPKG.Features {
		want := export.Features[i]
		for _, k := range []string{"cell", "rank", "score", "reports", "agencies", "trend", "place", "confidence"} {
			if a, b := fmt.Sprint(ft.Properties[k]), fmt.Sprint(want.Properties[k]); a != b {
				t.Fatalf("feature %d's %s: %s in the GeoPackage, %s in the export", i, k, a, b)
			}
		}
		var dist float64
		if err := f.sql().QueryRow(context.Background(), `SELECT ST_HausdorffDistance(ST_GeomFromGeoJSON($1), ST_GeomFromGeoJSON($2))`,
			string(ft.Geometry), string(want.Geometry)).Scan(&dist); err != nil || dist > 1e-9 {
			t.Fatalf("feature %d's geometry %v degrees from the export's (%v)", i, dist, err)
		}
	}

	// Reports: the REST API's, paged by cursor, each page a consult.
	var rest []string
	for cursor := ""; ; {
		var page struct {
			Features []struct {
				ID string `json:"id"`
			} `json:"features"`
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal(f.json("analyst", http.MethodGet, "/api/v1/reports?limit=1000&cursor="+cursor, nil).body, &page); err != nil {
			t.Fatal(err)
		}
		for _, ft := range page.Features {
			rest = append(rest, ft.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	consults := func() (n int) {
		if err := f.sql().QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = 'consult' AND object_type = 'report'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	c0 := consults()
	got, pages := f.pageThrough("analyst", "/ogc/collections/reports/items?limit=100")
	if len(got) != len(rest) || len(rest) < 1500 {
		t.Fatalf("%d reports through /ogc, %d through the REST API", len(got), len(rest))
	}
	for i := range got {
		if got[i]["id"] != rest[i] {
			t.Fatalf("report %d: %v through /ogc, %s through the REST API", i, got[i]["id"], rest[i])
		}
	}
	if n := consults() - c0; n != pages {
		t.Errorf("%d pages of reports left %d consult events", pages, n)
	}
	// datetime is observed_at, the interval closed.
	from, to := time.Now().AddDate(0, -2, 0).UTC().Truncate(time.Second), time.Now().AddDate(0, -1, 0).UTC().Truncate(time.Second)
	var count struct {
		N int `json:"number_matched"`
	}
	_ = json.Unmarshal(f.json("analyst", http.MethodGet, "/api/v1/reports?sort=observed_at&limit=1&from="+from.Format(time.RFC3339)+"&to="+to.Add(time.Second).Format(time.RFC3339), nil).body, &count)
	window, _ := f.pageThrough("analyst", "/ogc/collections/reports/items?limit=1000&datetime="+from.Format(time.RFC3339)+"/"+to.Format(time.RFC3339))
	if len(window) != count.N || count.N == 0 {
		t.Errorf("datetime %s/%s: %d reports through /ogc, %d through the REST API", from, to, len(window), count.N)
	}
	for _, bad := range []string{"yesterday", "../..", to.Format(time.RFC3339) + "/" + from.Format(time.RFC3339)} {
		if r := f.json("analyst", http.MethodGet, "/ogc/collections/reports/items?datetime="+url.QueryEscape(bad), nil); r.StatusCode != http.StatusBadRequest ||
			!strings.Contains(string(r.body), `"datetime"`) {
			t.Errorf("datetime %q: %d %s", bad, r.StatusCode, r.body)
		}
	}
	if r := f.json("analyst", http.MethodGet, "/ogc/collections/reports/items?offset=100", nil); r.StatusCode != http.StatusBadRequest {
		t.Errorf("offset on reports: %d", r.StatusCode)
	}
	// One report by its id, as GET /api/v1/reports/{id} gives it.
	one := f.json("analyst", http.MethodGet, "/ogc/collections/reports/items/"+rest[0], nil)
	if single := f.json("analyst", http.MethodGet, "/api/v1/reports/"+rest[0], nil); one.StatusCode != http.StatusOK || string(one.body) != string(single.body) {
		t.Errorf("one report through /ogc: %d %.200s", one.StatusCode, one.body)
	}

	// HTTP Basic carries the key to /ogc and nowhere else; a client without
	// credentials is told it may use it.
	basic := func(path, password string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, f.http.URL+path, nil)
		if password != "" {
			req.SetBasicAuth("anyone", password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := basic("/ogc/collections", chairKey); resp.StatusCode != http.StatusOK {
		t.Errorf("/ogc with Basic: %d", resp.StatusCode)
	}
	if resp := basic("/api/v1/me", chairKey); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/api/v1/me with Basic: %d", resp.StatusCode)
	}
	if resp := basic("/ogc/collections", "not-a-key"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/ogc with a wrong Basic password: %d", resp.StatusCode)
	}
	if resp := basic("/ogc", ""); resp.StatusCode != http.StatusUnauthorized || !slices.ContainsFunc(resp.Header.Values("WWW-Authenticate"), func(v string) bool {
		return strings.HasPrefix(v, "Basic ")
	}) {
		t.Errorf("/ogc without credentials: %d %v", resp.StatusCode, resp.Header.Values("WWW-Authenticate"))
	}
}
