// Package bench measures hexwatch against what a GIS engineer would do
// instead, in the same run: bulk ingestion through the HTTP API against a
// bare COPY of the same rows, hotspot answers against one SQL query over
// the raw table, throughput, footprint, start time and growth.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/demo"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/ingest"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// Options size a run.
type Options struct {
	DatabaseURL string
	Binary      string // the hexwatch binary to serve with
	Reports     int
	Growth      []int
	Requests    int
	Clients     int
	Duration    time.Duration
	Validator   *intel.Validator
	Env         []string // environment of the server
	Progress    io.Writer
}

// Result holds every figure of a run.
type Result struct {
	Rows            []Row
	Machine, Date   string
	ReportsInserted int
}

// Row is one figure: what was measured, the figure, how it compares with
// the baseline, and the targets it was checked against.
type Row struct {
	Measure, Figure, Compared string
	Targets                   []string // "≤ 10 s", as Target.String
	Missed                    []string // the targets of Targets it missed
}

// Failed lists the rows that missed a target.
func (res *Result) Failed() []Row {
	var out []Row
	for _, r := range res.Rows {
		if len(r.Missed) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// check is a value measured against the target of key.
type check struct {
	key   string
	value float64
}

type run struct {
	opt     Options
	db      *store.DB
	res     *Result
	reports []intel.Report
	agency  store.Agency
	partner string
	analyst string
	srv     *server

	ndjsonRate, csvRate float64
	growthRows          []growthRow
	// wholeP95 is the p95 of whole-area res 8 requests at opt.Reports.
	wholeP95 time.Duration
}

type growthRow struct {
	reports int
	figure  string
	p95     time.Duration
}

func (r *run) logf(format string, args ...any) {
	fmt.Fprintf(r.opt.Progress, "bench: "+format+"\n", args...)
}

// add records a row, checking each value against its target.
func (r *run) add(measure, figure, comparison string, checks ...check) {
	row := Row{Measure: measure, Figure: figure, Compared: comparison}
	for _, c := range checks {
		t, ok := Targets[c.key]
		if !ok {
			panic("bench: no target " + c.key)
		}
		row.Targets = append(row.Targets, t.String())
		if !t.met(c.value) {
			row.Missed = append(row.Missed, t.String())
		}
	}
	r.res.Rows = append(r.res.Rows, row)
	r.logf("%s: %s %s %s", measure, figure, comparison, row.result())
}

// result is "pass", "missed ≤ 10 s", or nothing for a row without targets.
func (row Row) result() string {
	switch {
	case len(row.Missed) > 0:
		return "MISSED " + strings.Join(row.Missed, ", ")
	case len(row.Targets) > 0:
		return "pass"
	}
	return ""
}

// Run measures on the empty, migrated database of opt.DatabaseURL.
func Run(ctx context.Context, opt Options) (*Result, error) {
	db, err := store.Open(ctx, opt.DatabaseURL, 4)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if n, err := db.ReportCount(ctx); err != nil || n != 0 {
		return nil, fmt.Errorf("bench: want an empty database, it holds %d reports (%v)", n, err)
	}
	r := &run{opt: opt, db: db, res: &Result{Machine: machine(ctx, db), Date: time.Now().UTC().Format("2006-01-02")}}
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	defer func() {
		if r.srv != nil {
			r.srv.stop()
		}
	}()
	steps := []func(context.Context) error{r.ingest, r.copyBaseline, r.start, r.latency, r.wholeArea, r.throughput, r.growth}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return r.res, err
		}
	}
	return r.res, nil
}

func (r *run) setup(ctx context.Context) error {
	agency, keys, err := policeWithKeys(ctx, r.db, "BENCH Partner", "bench")
	if err != nil {
		return err
	}
	r.agency, r.partner, r.analyst = agency, keys[auth.Partner], keys[auth.Analyst]
	r.logf("generating %d synthetic reports", r.opt.Reports)
	gen := demo.New(7, r.opt.Reports, 1, time.Now(), r.opt.Validator.Area)
	for {
		d, err := gen.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("bench: generating reports: %w", err)
		}
		rep, verr := r.opt.Validator.Validate(d.Sub)
		if verr != nil {
			return verr
		}
		rep.ID, rep.AgencyID = uuid.Must(uuid.NewV7()), r.agency.ID
		r.reports = append(r.reports, rep)
	}
	return nil
}

// ---- ingestion ----

func submissionOf(rep intel.Report) map[string]any {
	return map[string]any{"external_ref": rep.ExternalRef, "category": rep.Category, "indicators": rep.Indicators,
		"observed_at": rep.ObservedAt.Format(time.RFC3339), "location": map[string]float64{"lat": rep.Location.Lat, "lon": rep.Location.Lon},
		"precision_m": rep.PrecisionM, "grading": rep.Grading, "classification": rep.Classification, "narrative": rep.Narrative}
}

func writeNDJSON(path string, reps []intel.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, rep := range reps {
		if err := enc.Encode(submissionOf(rep)); err != nil {
			return err
		}
	}
	return errors.Join(w.Flush(), f.Close())
}

func writeCSV(path string, reps []intel.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write(intel.CSVColumns)
	for _, rep := range reps {
		w.Write(intel.CSVRecord(rep))
	}
	w.Flush()
	return errors.Join(w.Error(), f.Close())
}

func (r *run) upload(ctx context.Context, path, contentType string) (int, time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.srv.base+"api/v1/reports/bulk", f)
	req.Header.Set("Authorization", "Bearer "+r.partner)
	req.Header.Set("Content-Type", contentType)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	var sum struct{ Created, Rejected int }
	if err := json.NewDecoder(resp.Body).Decode(&sum); err != nil || resp.StatusCode != http.StatusOK || sum.Rejected > 0 {
		return 0, 0, fmt.Errorf("bench: upload %s: %d, %d rejected (%v)", filepath.Base(path), resp.StatusCode, sum.Rejected, err)
	}
	return sum.Created, time.Since(start), nil
}

// ingest posts the dataset through the bulk endpoint: half as NDJSON, half
// as CSV, measuring latency at the first growth size on the way.
func (r *run) ingest(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "hexwatch-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	half := len(r.reports) / 2
	first := min(r.opt.Growth[0], half)
	files := []struct {
		name, contentType string
		reps              []intel.Report
		write             func(string, []intel.Report) error
	}{
		{"a.ndjson", "application/x-ndjson", r.reports[:first], writeNDJSON},
		{"b.ndjson", "application/x-ndjson", r.reports[first:half], writeNDJSON},
		{"c.csv", "text/csv", r.reports[half:], writeCSV},
	}
	for _, f := range files {
		if err := f.write(filepath.Join(dir, f.name), f.reps); err != nil {
			return err
		}
	}
	if r.srv, err = startServer(ctx, r.opt); err != nil {
		return err
	}
	totals := map[string][2]float64{}
	for i, f := range files {
		if len(f.reps) == 0 {
			continue
		}
		r.logf("uploading %d rows as %s", len(f.reps), f.contentType)
		n, d, err := r.upload(ctx, filepath.Join(dir, f.name), f.contentType)
		if err != nil {
			return err
		}
		t := totals[f.contentType]
		totals[f.contentType] = [2]float64{t[0] + float64(n), t[1] + d.Seconds()}
		r.res.ReportsInserted += n
		if i == 0 && first == r.opt.Growth[0] {
			if err := r.growthPoint(ctx); err != nil {
				return err
			}
		}
	}
	r.ndjsonRate = totals["application/x-ndjson"][0] / totals["application/x-ndjson"][1]
	r.csvRate = totals["text/csv"][0] / totals["text/csv"][1]
	return nil
}

// copyBaseline copies the same rows, prepared, in one COPY into a table
// with the same columns, constraints and indexes (corroboration's among
// them): the physical floor of writing them.
func (r *run) copyBaseline(ctx context.Context) error {
	r.logf("one COPY of the same %d rows", len(r.reports))
	rs := slices.Clone(r.reports)
	for i := range rs {
		rs[i].ID = uuid.Must(uuid.NewV7())
	}
	took, err := r.db.CopyBaseline(ctx, rs, len(rs))
	if err != nil {
		return err
	}
	copyRate := float64(len(rs)) / took.Seconds()
	r.add("Ingest, NDJSON through POST /api/v1/reports/bulk (evaluation and corroboration included)", fmt.Sprintf("%.0f rows/s", r.ndjsonRate),
		fmt.Sprintf("%.2f of the single COPY", r.ndjsonRate/copyRate), check{"ingest-of-copy", r.ndjsonRate / copyRate})
	r.add("Ingest, CSV through POST /api/v1/reports/bulk", fmt.Sprintf("%.0f rows/s", r.csvRate),
		fmt.Sprintf("%.2f of the single COPY", r.csvRate/copyRate), check{"ingest-of-copy", r.csvRate / copyRate})
	r.add("Baseline: one COPY of the same rows into a table LIKE reports INCLUDING ALL (its columns, constraints and indexes)",
		fmt.Sprintf("%.0f rows/s", copyRate), "")
	return nil
}

// start restarts the server on the loaded database: time to ready and memory.
func (r *run) start(ctx context.Context) error {
	r.srv.stop()
	// Measure the steady state, not PostgreSQL's autovacuum after a big load.
	r.logf("VACUUM ANALYZE reports")
	if err := r.db.Analyze(ctx); err != nil {
		return err
	}
	var err error
	if r.srv, err = startServer(ctx, r.opt); err != nil {
		return err
	}
	r.add(fmt.Sprintf("Start to ready with %d reports", r.res.ReportsInserted), fmt.Sprintf("%.2f s", r.srv.ready.Seconds()), "",
		check{"start", r.srv.ready.Seconds()})
	r.rss("at ready")
	return nil
}

// rss records the server's resident memory after a phase, against its
// target.
func (r *run) rss(phase string) {
	rss := r.srv.rssMB()
	r.add(fmt.Sprintf("Server RSS with %d reports, %s", r.res.ReportsInserted, phase), fmt.Sprintf("%.0f MB", rss), "", check{"rss", rss})
}

// ---- hotspot latency ----

// queries are varied hotspot requests; asOfShift makes each unseen.
func queries(n int) []url.Values {
	resolutions := []string{"7", "8", "9"}
	halfLives := []string{"7d", "14d", "28d", "56d"}
	windows := []string{"90d", "180d", "365d"}
	cats := []string{"", "drug_supply,cuckooing", "child_exploitation,violence,weapons", "transport_hub"}
	bboxes := []string{"", "", "-0.32,52.53,-0.18,52.62", "0.05,52.15,0.20,52.25"}
	out := make([]url.Values, n)
	for i := range out {
		q := url.Values{}
		q.Set("res", resolutions[i%3])
		q.Set("half_life", halfLives[i/3%4])
		q.Set("window", windows[i/12%3])
		if c := cats[i/5%4]; c != "" {
			q.Set("categories", c)
		}
		if b := bboxes[i/7%4]; b != "" {
			q.Set("bbox", b)
		}
		q.Set("as_of", time.Now().UTC().Add(-time.Duration(i+1)*time.Minute).Format(time.RFC3339))
		out[i] = q
	}
	return out
}

type feature struct {
	ID         string `json:"id"`
	Properties struct {
		Score float64 `json:"score"`
	} `json:"properties"`
}

// get requests hotspots; it returns the body when keep is set. The client
// collects its garbage before each request, so that its own work does not
// weigh on the time it measures.
func (r *run) get(ctx context.Context, q url.Values, keep bool) (int, []byte, time.Duration, error) {
	runtime.GC()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.srv.base+"api/v1/hotspots?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+r.analyst)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	var body []byte
	if keep {
		body, err = io.ReadAll(resp.Body)
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode, body, time.Since(start), err
}

func features(body []byte) ([]feature, error) {
	var fc struct {
		Features []feature `json:"features"`
	}
	err := json.Unmarshal(body, &fc)
	return fc.Features, err
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(math.Ceil(p*float64(len(s))))-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func (r *run) latency(ctx context.Context) error {
	qs := queries(r.opt.Requests)
	r.logf("%d hotspot requests, parameters never seen before", len(qs))
	var all, res8 []time.Duration
	answers := make([][]byte, len(qs))
	compared := 0
	for i, q := range qs {
		keep := q.Get("bbox") == "" && compared < 10
		if keep {
			compared++
		}
		status, body, d, err := r.get(ctx, q, keep)
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("bench: hotspots?%s: %d %v", q.Encode(), status, err)
		}
		answers[i] = body
		all = append(all, d)
		if q.Get("res") == "8" && q.Get("bbox") == "" {
			res8 = append(res8, d)
		}
	}
	r.add(fmt.Sprintf("GET /api/v1/hotspots, %d varied requests (res 7–9, bboxes, half-lives, windows, categories)", len(qs)),
		fmt.Sprintf("p50 %s, p95 %s, p99 %s", ms(percentile(all, .5)), ms(percentile(all, .95)), ms(percentile(all, .99))), "")
	p95 := percentile(res8, .95)
	r.add("GET /api/v1/hotspots, res 8, whole service area, with Gi* and trends", fmt.Sprintf("p50 %s, p95 %s", ms(percentile(res8, .5)), ms(p95)), "",
		check{"whole-area-p95", float64(p95) / float64(time.Millisecond)})

	// The SQL an analyst with PostGIS would write, and the best one a
	// database engineer would, on whole-area requests.
	r.logf("preparing the best SQL (per-report decay factors, covering index)")
	index, built, err := r.db.PrepareBestSQL(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err := r.db.DropBestSQL(context.Background()); err != nil {
			r.logf("dropping bench_parts: %v", err)
		}
	}()
	var sqlTimes, bestTimes, ours []time.Duration
	worst, worstBest := 0.0, 0.0
	for i, q := range qs {
		if answers[i] == nil {
			continue
		}
		fs, err := features(answers[i])
		if err != nil {
			return err
		}
		scores, d, err := r.sqlScores(ctx, q, r.db.ReferenceScores)
		if err != nil {
			return err
		}
		// SQL also scores shares that fall outside the study area, which
		// the engine leaves out, as it leaves out reports outside it.
		if len(scores) < len(fs) {
			return fmt.Errorf("bench: hotspots?%s: %d cells, SQL %d", q.Encode(), len(fs), len(scores))
		}
		best, bd, err := r.sqlScores(ctx, q, r.db.BestScores)
		if err != nil {
			return err
		}
		for _, f := range fs {
			want, ok := scores[f.ID]
			if !ok {
				return fmt.Errorf("bench: hotspots?%s: cell %s has no SQL score", q.Encode(), f.ID)
			}
			worst = max(worst, math.Abs(f.Properties.Score-want)/want)
			worstBest = max(worstBest, math.Abs(f.Properties.Score-best[f.ID])/want)
		}
		sqlTimes, bestTimes, ours = append(sqlTimes, d), append(bestTimes, bd), append(ours, all[i])
	}
	ratio := float64(percentile(sqlTimes, .5)) / float64(percentile(ours, .5))
	r.add(fmt.Sprintf("Baseline: the same scores by one SQL query over the raw reports table (%d whole-area requests)", len(ours)),
		fmt.Sprintf("p50 %s", ms(percentile(sqlTimes, .5))),
		fmt.Sprintf("its p50 ÷ hexwatch's (with Gi* and trends) on the same requests: %.2f; largest relative difference of scores %.1e", ratio, worst),
		check{"sql-difference", worst})
	bestRatio := float64(percentile(bestTimes, .5)) / float64(percentile(ours, .5))
	r.add(fmt.Sprintf("Baseline: the best single SQL query, over bench_parts (a row per report, resolution and share, its weight "+
		"and its decay factors w·2^((t−2020)/H) for H = 7, 14, 28, 56 days precomputed, built in %.0f s), index %s: an index-only range scan, one sum per cell", built.Seconds(), index),
		fmt.Sprintf("p50 %s", ms(percentile(bestTimes, .5))),
		fmt.Sprintf("its p50 ÷ hexwatch's (with Gi* and trends) on the same requests: %.2f; largest relative difference of scores %.1e", bestRatio, worstBest),
		check{"best-sql-ratio", bestRatio}, check{"sql-difference", worstBest})
	return nil
}

// wholeArea sends 200 whole-area res 8 requests with Gi* and trends, each
// as of a minute never asked before: the analyst's everyday map.
func (r *run) wholeArea(ctx context.Context) error {
	const n = 200
	r.logf("%d whole-area requests at res 8", n)
	var ds []time.Duration
	for i := range n {
		q := url.Values{}
		q.Set("res", "8")
		q.Set("as_of", time.Now().UTC().Add(-time.Duration(5000+i)*time.Minute).Format(time.RFC3339))
		status, _, d, err := r.get(ctx, q, false)
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("bench: whole-area request: %d %v", status, err)
		}
		ds = append(ds, d)
	}
	p50, p95 := percentile(ds, .5), percentile(ds, .95)
	r.wholeP95 = p95
	r.add(fmt.Sprintf("GET /api/v1/hotspots, res 8, whole area, Gi* and trends, %d requests with as_of never asked", n),
		fmt.Sprintf("p50 %s, p95 %s, p99 %s", ms(p50), ms(p95), ms(percentile(ds, .99))), fmt.Sprintf("p95 = %.2f × p50", float64(p95)/float64(p50)),
		check{"tail", float64(p95) / float64(p50)})
	r.rss("after the hotspot requests")
	return nil
}

// referenceQuery is a request's parameters for the SQL baselines.
func referenceQuery(q url.Values) store.ReferenceQuery {
	res, _ := strconv.Atoi(q.Get("res"))
	asOf, _ := time.Parse(time.RFC3339, q.Get("as_of"))
	window, _ := strconv.Atoi(strings.TrimSuffix(q.Get("window"), "d"))
	halfLife, _ := strconv.Atoi(strings.TrimSuffix(q.Get("half_life"), "d"))
	var cats []string
	if c := q.Get("categories"); c != "" {
		cats = strings.Split(c, ",")
	}
	day := 24 * time.Hour
	return store.ReferenceQuery{Res: res, AsOf: asOf, From: asOf.Add(-time.Duration(window) * day),
		HalfLife: time.Duration(halfLife) * day, Categories: cats}
}

// sqlScores computes the scores of a request in PostgreSQL by scores
// (store.ReferenceScores or store.BestScores), keyed by cell, and the time
// it took.
func (r *run) sqlScores(ctx context.Context, q url.Values,
	scores func(context.Context, store.ReferenceQuery) (map[hexgrid.Cell]float64, error)) (map[string]float64, time.Duration, error) {
	rq := referenceQuery(q)
	start := time.Now()
	got, err := scores(ctx, rq)
	if err != nil {
		return nil, 0, err
	}
	out := make(map[string]float64, len(got))
	for c, v := range got {
		out[c.String()] = v
	}
	return out, time.Since(start), nil
}

// ---- throughput ----

func (r *run) throughput(ctx context.Context) error {
	q := queries(1)[0]
	q.Set("res", "8")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.srv.base+"api/v1/hotspots?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+r.analyst)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	for _, inm := range []string{"", etag} {
		r.logf("%d clients for %s, If-None-Match %v", r.opt.Clients, r.opt.Duration, inm != "")
		var n, bad atomic.Int64
		deadline := time.Now().Add(r.opt.Duration)
		var wg sync.WaitGroup
		for range r.opt.Clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					if status, err := r.hit(ctx, q, inm); err != nil || (status != http.StatusOK && status != http.StatusNotModified) {
						bad.Add(1)
						continue
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		name := "Throughput, repeated parameters (200 with the body)"
		if inm != "" {
			name = "Throughput, repeated parameters with If-None-Match (304)"
		}
		rate := float64(n.Load()) / r.opt.Duration.Seconds()
		r.add(fmt.Sprintf("%s, %d clients for %s", name, r.opt.Clients, r.opt.Duration), fmt.Sprintf("%.0f requests/s", rate),
			fmt.Sprintf("%d failed", bad.Load()), check{"throughput", rate}, check{"failed", float64(bad.Load())})
	}
	r.rss("after the throughput runs")
	return nil
}

// hit requests hotspots and discards the body, as a load generator does.
func (r *run) hit(ctx context.Context, q url.Values, etag string) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.srv.base+"api/v1/hotspots?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+r.analyst)
	// As a browser does; the body is discarded without being decompressed.
	req.Header.Set("Accept-Encoding", "gzip")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// client keeps a connection per throughput client.
var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// ---- growth ----

// growthPoint measures whole-area res 8 latency at the current size.
func (r *run) growthPoint(ctx context.Context) error {
	var ds []time.Duration
	for i := range 20 {
		q := url.Values{}
		q.Set("res", "8")
		q.Set("as_of", time.Now().UTC().Add(-time.Duration(1000+i)*time.Minute).Format(time.RFC3339))
		status, _, d, err := r.get(ctx, q, false)
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("bench: growth request: %d %v", status, err)
		}
		ds = append(ds, d)
	}
	r.growthRows = append(r.growthRows, growthRow{r.res.ReportsInserted, fmt.Sprintf("p50 %s, p95 %s, server RSS %.0f MB",
		ms(percentile(ds, .5)), ms(percentile(ds, .95)), r.srv.rssMB()), percentile(ds, .95)})
	return nil
}

func (r *run) growth(ctx context.Context) error {
	if err := r.growthPoint(ctx); err != nil {
		return err
	}
	ev := store.AuditEvent{Action: store.ActionCollect, Actor: "bench"}
	for _, size := range r.opt.Growth {
		if size <= r.res.ReportsInserted {
			continue
		}
		r.logf("growing to %d reports", size)
		// Straight through the ingestion pipeline, without HTTP: its rate is measured above.
		rows := &demo.AgencyRows{Gen: demo.New(uint64(size), size-r.res.ReportsInserted, 1, time.Now(), r.opt.Validator.Area)}
		sum, err := ingest.Run(ctx, r.db, r.opt.Validator, r.agency.ID, rows, ev, ingest.Options{BatchSize: 5000})
		r.res.ReportsInserted += sum.Created
		if err != nil {
			return err
		}
		if err := r.growthPoint(ctx); err != nil {
			return err
		}
	}
	for _, g := range r.growthRows {
		r.add(fmt.Sprintf("Growth: res 8, whole area, at %d reports", g.reports), g.figure, "")
	}
	// The largest size against the benchmark's own (whole-area p95 over
	// 200 requests there).
	if last := r.growthRows[len(r.growthRows)-1]; last.reports > r.opt.Reports && r.wholeP95 > 0 {
		grow := float64(last.p95) / float64(r.wholeP95)
		r.add(fmt.Sprintf("Growth: p95 at %d reports against %d", last.reports, r.opt.Reports), fmt.Sprintf("%.2f ×", grow), "",
			check{"growth-p95-grow", grow})
	}
	return nil
}

// ---- the server under test ----

type server struct {
	cmd   *exec.Cmd
	base  string
	ready time.Duration
}

// readyDeadline bounds the wait for a started server to be ready.
const readyDeadline = 5 * time.Minute

var servingRE = regexp.MustCompile(`serving on (http://\S+)`)

func startServer(ctx context.Context, opt Options) (*server, error) {
	cmd := exec.Command(opt.Binary, "serve", "--addr", "127.0.0.1:0", "--migrate=false", "--log-level", "warn")
	cmd.Env = append(os.Environ(), opt.Env...)
	// The server runs as it would in production: as the app role, which
	// migrating (as the owner, opt.DatabaseURL) created.
	appURL, err := url.Parse(opt.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	appURL.User = url.User(store.AppRole)
	cmd.Env = append(cmd.Env, "HEXWATCH_DATABASE_URL="+appURL.String(), "HEXWATCH_MIGRATE_DATABASE_URL="+opt.DatabaseURL,
		"HEXWATCH_TILE_URL=none", "HEXWATCH_METRICS_ADDR=127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
			s.base = m[1]
			break
		}
	}
	go io.Copy(io.Discard, stderr)
	if s.base == "" {
		cmd.Process.Kill()
		return nil, errors.New("bench: the server did not start")
	}
	// Start-up loads every report; a server not ready within the deadline
	// is a failed run, not a hang.
	deadline := time.Now().Add(readyDeadline)
	for {
		resp, err := http.Get(s.base + "readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("bench: the server was not ready within %s", readyDeadline)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.ready = time.Since(start)
	return s, nil
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
}

// rssMB is the server's resident memory.
func (s *server) rssMB() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// machine describes where the run happened.
func machine(ctx context.Context, db *store.DB) string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]); len(f) >= 2 {
			kb, _ := strconv.ParseFloat(f[1], 64)
			mem = fmt.Sprintf(", %.0f GiB", kb/1024/1024)
		}
	}
	pg, _ := db.ServerVersion(ctx)
	return fmt.Sprintf("%s, %d cores%s; %s; PostgreSQL %s", cpu, runtime.NumCPU(), mem, runtime.Version(), pg)
}

// Markdown is the result as a markdown document.
func (res *Result) Markdown(opt Options) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# hexwatch benchmarks\n\nRun on %s, %s, by `hexwatch bench --reports %d` (`make bench`).\n", res.Date, res.Machine, opt.Reports)
	fmt.Fprintf(&b, "The server runs as its own process on loopback; the client, PostgreSQL and the server share the machine.\n\n")
	b.WriteString("| measure | hexwatch | compared | target | result |\n|---|---|---|---|---|\n")
	for _, row := range res.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", row.Measure, row.Figure, row.Compared, strings.Join(row.Targets, ", "), row.result())
	}
	return b.Bytes()
}
