package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/snapshot/pdfwords"
	"github.com/hexwatch/hexwatch/pkg/store"
)

type snapshotMeta struct {
	ID             string `json:"id"`
	SHA256         string `json:"sha256"`
	Cells          int    `json:"cells"`
	Classification string `json:"classification"`
	Top            []struct {
		Rank  int    `json:"rank"`
		Place string `json:"place"`
	} `json:"top"`
}

func (f *fixture) export(caller, id, name string) []byte {
	f.t.Helper()
	r := f.json(caller, http.MethodGet, "/api/v1/snapshots/"+id+"/"+name+"?purpose=tasking+meeting&recipient=partnership", nil)
	if r.StatusCode != http.StatusOK {
		f.t.Fatalf("export %s: %d %s", name, r.StatusCode, r.body)
	}
	return r.body
}

// tool runs one of Debian's GIS or PDF tools, which .ci/run installs.
func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is missing: install gdal-bin and poppler-utils (apt-get install gdal-bin poppler-utils)", name)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func TestSnapshotIsFrozenAndExported(t *testing.T) {
	f := newFixture(t)
	loadDemo(t, f, 3000)
	// Received when observed, for the briefing's line of information received.
	if _, err := f.sql().Exec(context.Background(), `UPDATE reports SET created_at = observed_at + interval '48 hours'
		WHERE agency_id IN ($1, $2) AND created_at > observed_at + interval '48 hours'`, f.agencyA.ID, f.agencyB.ID); err != nil {
		t.Fatal(err)
	}
	r := f.json("chair", http.MethodPost, "/api/v1/snapshots", map[string]any{
		"title": "Northern tasking group", "meeting_date": "2026-12-03", "notes": "Monthly review",
		"parameters": map[string]any{"res": 7, "window": "182d"},
	})
	var meta snapshotMeta
	if err := json.Unmarshal(r.body, &meta); err != nil || r.StatusCode != http.StatusCreated || meta.Cells == 0 {
		t.Fatalf("create: %d %s", r.StatusCode, r.body)
	}
	exports := map[string][]byte{}
	for _, name := range []string{"content.json", "hotspots.geojson", "hotspots.csv"} {
		exports[name] = f.export("chair", meta.ID, name)
	}
	pdfText := func() string {
		path := filepath.Join(t.TempDir(), "briefing.pdf")
		os.WriteFile(path, f.export("analyst", meta.ID, "briefing.pdf"), 0o644)
		return tool(t, "pdftotext", "-layout", path, "-")
	}
	text := pdfText()
	// A published briefing gives no count by kind (a kind of one agency
	// would give that agency's count); an exact one does.
	if strings.Contains(text, "Information received") {
		t.Errorf("a published briefing counts the information received by kind")
	}
	r = f.json("analyst", http.MethodPost, "/api/v1/snapshots", map[string]any{
		"title": "Analysts' review", "meeting_date": "2026-12-03", "view": "full", "parameters": map[string]any{"res": 7, "window": "182d"},
	})
	var exact snapshotMeta
	if err := json.Unmarshal(r.body, &exact); err != nil || r.StatusCode != http.StatusCreated {
		t.Fatalf("create an exact snapshot: %d %s", r.StatusCode, r.body)
	}
	exactPDF := filepath.Join(t.TempDir(), "exact.pdf")
	os.WriteFile(exactPDF, f.export("analyst", exact.ID, "briefing.pdf"), 0o644)
	if flat := strings.Join(strings.Fields(tool(t, "pdftotext", exactPDF, "-")), " "); !regexp.MustCompile(`Information received this period \([^)]*\), by agency kind, as stored when frozen: [a-z ]+ \d+(; [a-z ]+ \d+)*\.`).MatchString(flat) ||
		!regexp.MustCompile(`frozen: [^.]*police \d+`).MatchString(flat) || !regexp.MustCompile(`frozen: [^.]*local authority \d+`).MatchString(flat) {
		t.Errorf("the exact briefing lacks the information received: %s", flat)
	}

	// The hash is of the frozen content.
	sum := sha256.Sum256(exports["content.json"])
	if hex.EncodeToString(sum[:]) != meta.SHA256 {
		t.Fatalf("sha256 of content.json %x, snapshot says %s", sum, meta.SHA256)
	}

	// New reports, an amendment and an erasure change nothing frozen.
	var fc struct {
		Features []struct{ ID string } `json:"features"`
	}
	json.Unmarshal(f.json("analyst", http.MethodGet, "/api/v1/reports?limit=2&agency="+f.agencyA.ID.String(), nil).body, &fc)
	f.json("analyst", http.MethodPatch, reportPath(fc.Features[0].ID), map[string]any{"category": "violence"})
	f.json("admin", http.MethodPost, reportPath(fc.Features[1].ID)+"/erase", map[string]string{"reason": "test"})
	loadDemo(t, f, 500)
	for name, before := range exports {
		if after := f.export("chair", meta.ID, name); !bytes.Equal(before, after) {
			t.Errorf("%s changed after new data arrived", name)
		}
	}
	if after := pdfText(); after != text {
		t.Error("the briefing's text changed after new data arrived")
	}
	var n int
	f.sql().QueryRow(context.Background(), `SELECT count(*) FROM snapshots WHERE id = $1`, meta.ID).Scan(&n)
	if _, err := f.sql().Exec(context.Background(), `UPDATE snapshots SET title = 'changed' WHERE id = $1`, meta.ID); err == nil || n != 1 {
		t.Fatal("the database let a snapshot change")
	}

	// GDAL reads the GeoJSON with every cell.
	path := filepath.Join(t.TempDir(), "hotspots.geojson")
	os.WriteFile(path, exports["hotspots.geojson"], 0o644)
	info := tool(t, "ogrinfo", "-ro", "-al", "-so", path)
	if m := regexp.MustCompile(`Feature Count: (\d+)`).FindStringSubmatch(info); m == nil || m[1] != strconv.Itoa(meta.Cells) {
		t.Fatalf("ogrinfo: %s\nwant %d features", info, meta.Cells)
	}

	// The CSV parses back to the same ranking.
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(exports["hotspots.csv"], []byte("\uFEFF")))).ReadAll()
	if err != nil || len(rows) != meta.Cells+1 {
		t.Fatalf("CSV: %d rows, %v", len(rows), err)
	}
	var frozen struct {
		Cells []struct {
			Cell string `json:"cell"`
			Rank int    `json:"rank"`
		} `json:"cells"`
	}
	json.Unmarshal(exports["content.json"], &frozen)
	for i, row := range rows[1:] {
		if row[0] != strconv.Itoa(frozen.Cells[i].Rank) || row[1] != frozen.Cells[i].Cell {
			t.Fatalf("CSV row %d: rank %s cell %s; the snapshot has rank %d cell %s", i+1, row[0], row[1], frozen.Cells[i].Rank, frozen.Cells[i].Cell)
		}
		// Each row carries its classification, and its categories' labels beside their codes.
		if row[len(row)-1] != meta.Classification || (row[8] != "" && row[9] == "") || strings.Contains(row[9], "_") {
			t.Fatalf("CSV row %d: classification %q, categories %q labelled %q", i+1, row[len(row)-1], row[8], row[9])
		}
	}
	if !bytes.HasPrefix(exports["hotspots.csv"], []byte("\uFEFF")) {
		t.Error("the CSV lacks the BOM Excel needs")
	}

	// The briefing has the banner, the title and every row of its top table.
	if strings.Count(text, meta.Classification) < 2 || !strings.Contains(text, "Northern tasking group") || !strings.Contains(text, "Thursday 3 December 2026") {
		t.Fatalf("briefing text lacks banner, title or date:\n%s", text)
	}
	for _, top := range meta.Top {
		if !regexp.MustCompile(`(?m)^\s*` + strconv.Itoa(top.Rank) + `\s+` + regexp.QuoteMeta(top.Place)).MatchString(text) {
			t.Errorf("briefing lacks the row of rank %d (%s)", top.Rank, top.Place)
		}
	}

	// Every export was a disclosure with its purpose.
	evs, err := f.db.AuditEvents(context.Background(), store.AuditFilter{Action: store.ActionDisclose, ObjectID: meta.ID, Limit: 100})
	if err != nil || len(evs) < 8 || evs[0].Justification != "tasking meeting" || evs[0].Recipient != "partnership" {
		t.Fatalf("disclose events: %d, %v; first %+v", len(evs), err, evs)
	}
	if r := f.json("chair", http.MethodGet, "/api/v1/snapshots/"+meta.ID+"/hotspots.csv", nil); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("an export without a purpose: got %d, want 400", r.StatusCode)
	}
}

func TestSnapshotChanges(t *testing.T) {
	f := newFixture(t)
	f.publish(time.Now())
	create := func(title string) string {
		r := f.json("analyst", http.MethodPost, "/api/v1/snapshots", map[string]any{"title": title, "meeting_date": "2026-12-03",
			"parameters": map[string]any{"res": 9, "categories": "weapons"}, "view": "full"})
		var m snapshotMeta
		json.Unmarshal(r.body, &m)
		return m.ID
	}
	// Ten weapons reports in one place, then five more there and ten in a new place.
	post := func(prefix string, n int, lat, lon float64) {
		for i := range n {
			sub := submission(prefix + strconv.Itoa(i) + "-" + uuid.NewString()[:6])
			sub["category"] = "weapons"
			sub["location"] = map[string]float64{"lat": lat, "lon": lon}
			if r := f.json("partner-key", http.MethodPost, "/api/v1/reports", sub); r.StatusCode != http.StatusCreated {
				t.Fatal(r.StatusCode)
			}
		}
	}
	post("old", 10, 52.5749, -0.2503)
	first := create("first")
	post("more", 10, 52.5749, -0.2503)
	post("new", 10, 52.3917, 0.2666)
	second := create("second")

	var out struct {
		Against string `json:"against"`
		Changes []struct {
			Cell, Status string
			Delta        float64
		} `json:"changes"`
	}
	r := f.json("analyst", http.MethodGet, "/api/v1/snapshots/"+second+"/changes", nil)
	if err := json.Unmarshal(r.body, &out); err != nil || out.Against != first {
		t.Fatalf("changes: %d %s", r.StatusCode, r.body)
	}
	statuses := map[string]int{}
	for _, ch := range out.Changes {
		statuses[ch.Status]++
	}
	if statuses["new"] < 1 || statuses["rising"] < 1 {
		t.Fatalf("changes: %+v, want the new place new and the old one rising", out.Changes)
	}
	// Against itself everything is steady.
	r = f.json("analyst", http.MethodGet, "/api/v1/snapshots/"+second+"/changes?against="+second, nil)
	json.Unmarshal(r.body, &out)
	for _, ch := range out.Changes {
		if ch.Status != "steady" {
			t.Fatalf("against itself: %+v", ch)
		}
	}
	if r := f.json("analyst", http.MethodGet, "/api/v1/snapshots/"+second+"/changes?against="+f.snapshot(), nil); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("against a published snapshot of another resolution: got %d, want 400", r.StatusCode)
	}
	// Exact figures do not exist for a chair.
	for _, path := range []string{second, second + "/changes", second + "/hotspots.csv?purpose=test"} {
		if r := f.json("chair", http.MethodGet, "/api/v1/snapshots/"+path, nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("a chair asking for the full snapshot's %s: got %d, want 404", path, r.StatusCode)
		}
	}
}

// TestSnapshotParametersAreNamed sends parameters as numbers and strings
// alike, and values that are neither: each refusal names its parameter.
func TestSnapshotParametersAreNamed(t *testing.T) {
	f := newFixture(t)
	f.publish(time.Now())
	ok := f.json("analyst", http.MethodPost, "/api/v1/snapshots", map[string]any{"title": "Numbers", "meeting_date": "2026-12-03",
		"parameters": map[string]any{"res": "7", "half_life": "28d", "fdr": true}})
	if ok.StatusCode != http.StatusCreated {
		t.Fatalf("parameters as text and booleans: %d %s", ok.StatusCode, ok.body)
	}
	bad := f.json("analyst", http.MethodPost, "/api/v1/snapshots", map[string]any{"title": "Objects", "meeting_date": "2026-12-03",
		"parameters": map[string]any{"res": map[string]int{"a": 1}, "k": 9}})
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	if err := json.Unmarshal(bad.body, &p); err != nil || bad.StatusCode != http.StatusBadRequest {
		t.Fatalf("an object as a parameter: %d %s", bad.StatusCode, bad.body)
	}
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
	}
	if !slices.Contains(fields, "parameters.res") || !slices.Contains(fields, "parameters.k") {
		t.Fatalf("the refusal names %v, want parameters.res and parameters.k", fields)
	}
}

// TestBriefingLayout checks the briefing as a reader sees it: every page
// holds more than its banners, no two words of the map's page overlap
// (ranks, places, legend, scale), the title stays clear of the banner,
// hexagons are named by place and never by cell id, and dates are plain.
// Pages 1 and 2 are kept as pictures under testdata/screenshots.
func TestBriefingLayout(t *testing.T) {
	f := newFixture(t)
	loadDemo(t, f, 3000)
	var id string
	for _, title := range []string{"November tasking group", "December tasking group"} {
		// Exact figures: every cell of the DEMO's cities, as dense as a
		// briefing gets.
		r := f.json("analyst", http.MethodPost, "/api/v1/snapshots", map[string]any{
			"title": title, "meeting_date": "2026-12-03", "parameters": map[string]any{"res": 8, "window": "182d"}, "view": "full",
		})
		var meta snapshotMeta
		if err := json.Unmarshal(r.body, &meta); err != nil || r.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d %s", r.StatusCode, r.body)
		}
		id = meta.ID
		loadDemo(t, f, 400)
	}
	path := filepath.Join(t.TempDir(), "briefing.pdf")
	if err := os.WriteFile(path, f.export("analyst", id, "briefing.pdf"), 0o644); err != nil {
		t.Fatal(err)
	}
	words, pages, err := pdfwords.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	// The map and the tables, then the pages of locations and actions
	// (as many as the database's locations need).
	tables := pages
	for i := 0; i+2 < len(words); i++ {
		if words[i].Text == "Locations" && words[i+1].Text == "and" && words[i+2].Text == "actions" && words[i].Page-1 < tables {
			tables = words[i].Page - 1
		}
	}
	if tables < 2 || tables > 3 || tables == pages {
		t.Fatalf("the briefing has %d pages, %d before its locations and actions", pages, tables)
	}
	for p := 1; p <= pages; p++ {
		content := 0
		for _, w := range pdfwords.OnPage(words, p) {
			if !strings.HasPrefix(w.Text, "OFFICIAL") {
				content++
			}
		}
		if content < 5 {
			t.Errorf("page %d holds %d words besides its banners", p, content)
		}
	}
	first := pdfwords.OnPage(words, 1)
	for _, o := range pdfwords.Overlaps(first) {
		t.Errorf("on the map page %s", o)
	}
	// Every top-ten rank is placed on the map page (the city insets hold
	// those the county map has no room for).
	for rank := 1; rank <= 10; rank++ {
		if !slices.ContainsFunc(first, func(w pdfwords.Word) bool { return w.Alone && w.Text == strconv.Itoa(rank) }) {
			t.Errorf("rank %d is not on the map page", rank)
		}
	}
	if !slices.ContainsFunc(first, func(w pdfwords.Word) bool { return w.Text == "Inset" }) {
		t.Error("the map page has no inset of the clusters of the top ten")
	}
	bannerBottom, titleTop := 0.0, 1e9
	for _, w := range first {
		switch {
		case strings.HasPrefix(w.Text, "OFFICIAL") && w.YMin < 40:
			bannerBottom = max(bannerBottom, w.YMax)
		case w.Text == "December" && w.YMin < 100:
			titleTop = min(titleTop, w.YMin)
		}
	}
	// The banner's frame is 4 points below its word.
	if bannerBottom == 0 || titleTop < bannerBottom+8 {
		t.Errorf("the title (top %.1f) runs into the banner (word bottom %.1f)", titleTop, bannerBottom)
	}
	all := tool(t, "pdftotext", "-layout", path, "-")
	if regexp.MustCompile(`\b8[0-9a-f]{14}\b`).MatchString(all) {
		t.Error("the briefing names a hexagon by its cell id")
	}
	if !strings.Contains(all, "Thursday 3 December 2026") || strings.Contains(all, "T00:00:00Z") || !strings.Contains(all, "Changes since") {
		t.Errorf("dates or changes missing:\n%s", all)
	}
	placed := 0
	for _, name := range []string{"Cambridge", "Peterborough", "Ely", "Huntingdon", "Wisbech", "March", "St Neots"} {
		for _, w := range first {
			if w.Text == strings.Fields(name)[0] {
				placed++
				break
			}
		}
	}
	if placed < 3 {
		t.Errorf("only %d of the main towns are named on the map", placed)
	}
	dir := "../../testdata/screenshots"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for p := 1; p <= 2; p++ {
		tool(t, "pdftoppm", "-png", "-r", "80", "-f", strconv.Itoa(p), "-l", strconv.Itoa(p), "-singlefile", path, filepath.Join(dir, "briefing-page"+strconv.Itoa(p)))
	}
}

// TestRecomputedComparisonIsThePublishedView: a chair comparing published
// snapshots of unlike settings learns nothing the published view does not
// answer. The earlier side, recomputed under the later one's settings,
// holds exactly the cells and score bands that the chair's own map gets
// for that release and those settings (here the same release: every cell
// steady, its two scores equal), and each comparison is spent from the
// chair's budget like any published answer.
func TestRecomputedComparisonIsThePublishedView(t *testing.T) {
	f := newFixture(t)
	loadDemo(t, f, 3000)
	freeze := func(title, halfLife string) snapshotMeta {
		r := f.json("chair", http.MethodPost, "/api/v1/snapshots", map[string]any{"title": title, "meeting_date": "2026-12-03",
			"parameters": map[string]any{"res": 7, "half_life": halfLife}})
		var m snapshotMeta
		if err := json.Unmarshal(r.body, &m); err != nil || r.StatusCode != http.StatusCreated {
			t.Fatalf("freeze: %d %s", r.StatusCode, r.body)
		}
		return m
	}
	freeze("Two weeks", "14d")
	later := freeze("Four weeks", "28d")
	var out struct {
		Recomputed bool `json:"recomputed"`
		Changes    []struct {
			Cell, Status    string
			Score, Previous float64
		} `json:"changes"`
	}
	r := f.json("chair", http.MethodGet, "/api/v1/snapshots/"+later.ID+"/changes", nil)
	if err := json.Unmarshal(r.body, &out); err != nil || r.StatusCode != http.StatusOK || !out.Recomputed {
		t.Fatalf("changes: %d %s", r.StatusCode, r.body)
	}
	published, resp := f.hotspots("chair", "?res=7&half_life=28d")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the chair's published map: %d", resp.StatusCode)
	}
	band := map[string]float64{}
	for _, ft := range published.Features {
		band[ft.ID] = ft.Properties.Score
	}
	if len(out.Changes) != len(band) || len(band) == 0 {
		t.Fatalf("the comparison holds %d cells, the published view %d", len(out.Changes), len(band))
	}
	for _, ch := range out.Changes {
		want, ok := band[ch.Cell]
		if !ok || ch.Status != "steady" || ch.Previous != want || ch.Score != want {
			t.Fatalf("cell %s: %s, %g then, %g now; the published view answers %g (shown %v)", ch.Cell, ch.Status, ch.Previous, ch.Score, want, ok)
		}
	}
	// The recomputation is a published answer: spent and recorded (the
	// record of consultations is written in batches).
	var consults int
	for deadline := time.Now().Add(10 * time.Second); consults == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err := f.sql().QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE actor = $1 AND object_type = 'published_view'
			AND detail->>'route' LIKE '%/changes'`, f.callers["chair"].username).Scan(&consults); err != nil {
			t.Fatal(err)
		}
	}
	if consults == 0 {
		t.Fatal("the recomputation is not recorded as a published answer of the chair's")
	}
}
