package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/demo"
	"github.com/hexwatch/hexwatch/pkg/ingest"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// ScaleResult is what the scale-out test measured.
type ScaleResult struct {
	// Seen are the delays from a report's acceptance by the writing
	// instance to its first appearance in the reading instance's hotspots.
	Seen []time.Duration
	// StaleAfter is how long the reading instance took to say it was
	// stale once the primary stopped; CaughtUp, to be current again once
	// it returned.
	StaleAfter, CaughtUp time.Duration
	// Answered is how many hotspot requests the reading instance answered
	// while the primary was stopped; Audited, how many of them have their
	// consult event in the primary's audit log once it returned.
	Answered, Audited int
}

// MaxSeen is how soon a report accepted by the writing instance must be in
// the reading instance's hotspots.
const MaxSeen = time.Second

// ScaleTest proves the instance-per-replica layout on PostgreSQL streaming
// replication: a private primary cluster (initdb with the machine's
// PostgreSQL, a port of its own) and a hot standby of it (pg_basebackup),
// one hexwatch instance writing to the primary and one reading the
// standby. A report posted to the first is in the second's hotspots within
// MaxSeen; both give the same bytes for the same parameters; the reader
// keeps answering when the primary stops, saying it is stale in a header
// and on /readyz, its consult events kept until the primary returns; it
// catches up when the primary does. The machine's own PostgreSQL is not
// touched: stopping a primary is the point of the test.
func ScaleTest(ctx context.Context, opt Options) (ScaleResult, error) {
	var res ScaleResult
	pg, err := newClusters(opt.Progress)
	if err != nil {
		return res, err
	}
	defer pg.cleanup()
	logf := func(format string, args ...any) { fmt.Fprintf(opt.Progress, "scaletest: "+format+"\n", args...) }

	primary, err := pg.start("primary", func(dir string) error {
		return pg.run("initdb", "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	}, "-c", "wal_level=replica", "-c", "max_wal_senders=4", "-c", "fsync=off")
	if err != nil {
		return res, err
	}
	if err := pg.createDatabase(ctx, primary); err != nil {
		return res, err
	}
	ownerURL := primary.url("postgres")
	mg, err := store.NewMigrator(ownerURL)
	if err != nil {
		return res, err
	}
	if err := errors.Join(mg.Up(), mg.Close()); err != nil {
		return res, err
	}
	keys, err := seed(ctx, ownerURL, opt)
	if err != nil {
		return res, err
	}

	logf("hot standby by pg_basebackup")
	standby, err := pg.start("standby", func(dir string) error {
		return pg.run("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(primary.port), "-U", "postgres", "-D", dir,
			"-R", "-X", "stream", "-c", "fast", "--no-sync")
	}, "-c", "hot_standby=on", "-c", "wal_retrieve_retry_interval=200ms")
	if err != nil {
		return res, err
	}

	env := append(slices.Clone(opt.Env), "HEXWATCH_RELEASE_HISTORY=1")
	writer, err := startServer(ctx, Options{DatabaseURL: ownerURL, Binary: opt.Binary, Env: env})
	if err != nil {
		return res, fmt.Errorf("scaletest: the writing instance: %w", err)
	}
	defer writer.stop()
	reader, err := startServer(ctx, Options{DatabaseURL: standby.url("postgres"), Binary: opt.Binary,
		Env: append(env, "HEXWATCH_PRIMARY_DATABASE_URL="+primary.url(store.AppRole))})
	if err != nil {
		return res, fmt.Errorf("scaletest: the reading instance: %w", err)
	}
	defer reader.stop()
	c := &scaleClient{keys: keys, rng: rand.New(rand.NewPCG(11, 13))}

	logf("reports posted to the writing instance, looked for in the reading one's hotspots")
	for range 10 {
		d, err := c.postAndSee(ctx, writer, reader, 10*time.Second)
		if err != nil {
			return res, err
		}
		res.Seen = append(res.Seen, d)
	}
	if worst := slices.Max(res.Seen); worst > MaxSeen {
		return res, fmt.Errorf("scaletest: a report took %s to reach the reading instance's hotspots, more than %s", worst, MaxSeen)
	}

	asOf := time.Now().UTC().Truncate(time.Minute).Format(time.RFC3339)
	same := []string{"res=8&as_of=" + asOf, "res=9&window=90d&half_life=14d&as_of=" + asOf, "res=7&categories=drug_supply,cuckooing&as_of=" + asOf}
	bodies := map[string][]byte{}
	for _, q := range same {
		a, _, err := c.hotspots(ctx, writer, q)
		if err != nil {
			return res, err
		}
		b, _, err := c.hotspots(ctx, reader, q)
		if err != nil {
			return res, err
		}
		if !bytes.Equal(a, b) {
			return res, fmt.Errorf("scaletest: hotspots?%s: the instances differ (%d and %d bytes)", q, len(a), len(b))
		}
		bodies[q] = a
	}
	// A partner's published view: the weekly release the writing
	// instance computed, read from the standby, its budget spent on the
	// primary.
	var published []byte
	if err := waitFor(ctx, time.Minute, func() (bool, error) {
		b, _, status, err := c.do(ctx, writer, http.MethodGet, "api/v1/hotspots?res=7", auth.Partner, nil)
		published = b
		return status == http.StatusOK, err
	}); err != nil {
		return res, fmt.Errorf("scaletest: no published view from the writing instance: %w", err)
	}
	if b, _, status, err := c.do(ctx, reader, http.MethodGet, "api/v1/hotspots?res=7", auth.Partner, nil); err != nil || status != http.StatusOK || !bytes.Equal(b, published) {
		return res, fmt.Errorf("scaletest: a partner's published view from the reading instance: %d, the same bytes %v (%v)", status, bytes.Equal(b, published), err)
	}
	logf("both instances give the same bytes for %d parameter sets and a partner's published view", len(same))
	if b, _, status, err := c.do(ctx, reader, http.MethodPost, "api/v1/reports", auth.Partner, c.report(52.2, 0.12)); err != nil || status != http.StatusServiceUnavailable {
		return res, fmt.Errorf("scaletest: a report posted to the reading instance: %d %s (%v), want 503", status, b, err)
	}

	logf("the primary stops")
	if err := pg.stop(primary); err != nil {
		return res, err
	}
	stopped := time.Now()
	if err := waitFor(ctx, 10*time.Second, func() (bool, error) {
		r, err := readyz(ctx, reader)
		return r.Replication != nil && r.Replication.Stale, err
	}); err != nil {
		return res, fmt.Errorf("scaletest: the reading instance did not say it is stale: %w", err)
	}
	res.StaleAfter = time.Since(stopped)
	var answered []string // request ids
	for _, q := range same {
		b, h, err := c.hotspots(ctx, reader, q)
		if err != nil {
			return res, fmt.Errorf("scaletest: the reading instance without its primary: %w", err)
		}
		if h.Get("Hexwatch-Stale") == "" {
			return res, fmt.Errorf("scaletest: hotspots?%s without the primary: no Hexwatch-Stale header", q)
		}
		if !bytes.Equal(b, bodies[q]) {
			return res, fmt.Errorf("scaletest: hotspots?%s without the primary: not the answer it gave before", q)
		}
		answered = append(answered, h.Get("X-Request-Id"))
	}
	res.Answered = len(answered)
	// A published answer spends a budget kept on the primary: without it,
	// none is given.
	if b, _, status, err := c.do(ctx, reader, http.MethodGet, "api/v1/hotspots?res=7&categories=drug_supply", auth.Partner, nil); err != nil || status != http.StatusServiceUnavailable {
		return res, fmt.Errorf("scaletest: a partner's published view without the primary: %d %s (%v), want 503", status, b, err)
	}
	if r, err := readyz(ctx, writer); err == nil && r.Status == "ready" {
		return res, errors.New("scaletest: the writing instance is ready without its database")
	}
	logf("the reading instance answered %d requests without the primary, saying it is stale (after %s)", res.Answered, res.StaleAfter.Round(time.Millisecond))

	logf("the primary returns")
	if _, err := pg.start("primary", nil, "-c", "wal_level=replica", "-c", "max_wal_senders=4", "-c", "fsync=off"); err != nil {
		return res, err
	}
	back := time.Now()
	if err := waitFor(ctx, 30*time.Second, func() (bool, error) {
		r, err := readyz(ctx, reader)
		return r.Replication != nil && !r.Replication.Stale, err
	}); err != nil {
		return res, fmt.Errorf("scaletest: the reading instance did not catch up: %w", err)
	}
	res.CaughtUp = time.Since(back)
	if err := waitFor(ctx, 30*time.Second, func() (bool, error) {
		n, err := consults(ctx, ownerURL, answered)
		res.Audited = n
		return err == nil && n == len(answered), nil
	}); err != nil {
		return res, fmt.Errorf("scaletest: %d of the %d answers given without the primary are in its audit log", res.Audited, res.Answered)
	}
	// The writing instance's pool reconnects by itself.
	if err := waitFor(ctx, 30*time.Second, func() (bool, error) {
		r, err := readyz(ctx, writer)
		return err == nil && r.Status == "ready", nil
	}); err != nil {
		return res, errors.New("scaletest: the writing instance is not ready again")
	}
	d, err := c.postAndSee(ctx, writer, reader, 10*time.Second)
	if err != nil {
		return res, err
	}
	res.Seen = append(res.Seen, d)
	if d > MaxSeen {
		return res, fmt.Errorf("scaletest: after the primary returned, a report took %s to reach the reading instance, more than %s", d, MaxSeen)
	}
	logf("caught up %s after the primary returned; a new report in its hotspots %s after it was accepted", res.CaughtUp.Round(time.Millisecond), d.Round(time.Millisecond))
	return res, nil
}

// seed makes a police agency with keys (policeWithKeys) and a year of
// DEMO reports.
func seed(ctx context.Context, ownerURL string, opt Options) (map[auth.Role]string, error) {
	db, err := store.Open(ctx, ownerURL, 2)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	agency, keys, err := policeWithKeys(ctx, db, "SCALETEST Police", "scaletest")
	if err != nil {
		return nil, err
	}
	n := max(opt.Reports, 1)
	fmt.Fprintf(opt.Progress, "scaletest: %d DEMO reports into the primary\n", n)
	rows := &demo.AgencyRows{Gen: demo.New(5, n, 1, time.Now(), opt.Validator.Area)}
	_, err = ingest.Run(ctx, db, opt.Validator, agency.ID, rows, store.AuditEvent{Action: store.ActionCollect, Actor: "scaletest"},
		ingest.Options{BatchSize: 5000})
	return keys, err
}

// consults counts the consult events of the requests ids in the audit log.
func consults(ctx context.Context, ownerURL string, ids []string) (int, error) {
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(DISTINCT request_id) FROM audit_events WHERE action = $1 AND request_id = ANY($2)`,
		store.ActionConsult, ids).Scan(&n)
	return n, err
}

type scaleClient struct {
	keys map[auth.Role]string
	rng  *rand.Rand
	n    int
}

func (c *scaleClient) do(ctx context.Context, srv *server, method, path string, role auth.Role, body []byte) ([]byte, http.Header, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, srv.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.keys[role])
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.Header, resp.StatusCode, err
}

func (c *scaleClient) hotspots(ctx context.Context, srv *server, query string) ([]byte, http.Header, error) {
	b, h, status, err := c.do(ctx, srv, http.MethodGet, "api/v1/hotspots?"+query, auth.Analyst, nil)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("%d %s", status, b)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("scaletest: hotspots?%s: %w", query, err)
	}
	return b, h, nil
}

// report is a new report observed an hour ago at (lat, lon).
func (c *scaleClient) report(lat, lon float64) []byte {
	c.n++
	body, err := json.Marshal(map[string]any{"external_ref": fmt.Sprintf("scale-%d-%d", time.Now().UnixNano(), c.n), "category": "drug_supply",
		"observed_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "location": map[string]float64{"lat": lat, "lon": lon},
		"precision_m": 10, "grading": map[string]any{"source": 1, "assessment": "A", "handling": "P"}, "classification": "OFFICIAL"})
	if err != nil {
		panic(err) // strings and numbers always marshal
	}
	return body
}

// postAndSee posts a report to the writer and waits until the reader's
// hotspots around it count one more report: the delay from the writer's
// answer.
func (c *scaleClient) postAndSee(ctx context.Context, writer, reader *server, within time.Duration) (time.Duration, error) {
	lat, lon := 52.19+c.rng.Float64()*0.03, 0.10+c.rng.Float64()*0.05
	q := fmt.Sprintf("res=9&bbox=%.5f,%.5f,%.5f,%.5f", lon-0.01, lat-0.01, lon+0.01, lat+0.01)
	count := func(srv *server) (int, error) {
		b, _, err := c.hotspots(ctx, srv, q)
		if err != nil {
			return 0, err
		}
		var fc struct {
			Features []struct {
				Properties struct {
					Reports int `json:"reports"`
				} `json:"properties"`
			} `json:"features"`
		}
		if err := json.Unmarshal(b, &fc); err != nil {
			return 0, err
		}
		n := 0
		for _, f := range fc.Features {
			n += f.Properties.Reports
		}
		return n, nil
	}
	had, err := count(reader)
	if err != nil {
		return 0, err
	}
	b, _, status, err := c.do(ctx, writer, http.MethodPost, "api/v1/reports", auth.Partner, c.report(lat, lon))
	if err != nil || status != http.StatusCreated {
		return 0, fmt.Errorf("scaletest: post a report to the writing instance: %d %s %v", status, b, err)
	}
	accepted := time.Now()
	for time.Since(accepted) < within {
		n, err := count(reader)
		if err != nil {
			return 0, err
		}
		if n > had {
			return time.Since(accepted), nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, fmt.Errorf("scaletest: a report posted to the writing instance is not in the reading one's hotspots after %s", within)
}

type ready struct {
	Status      string `json:"status"`
	Replication *struct {
		Stale bool `json:"stale"`
	} `json:"replication"`
}

func readyz(ctx context.Context, srv *server) (ready, error) {
	var r ready
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.base+"readyz", nil)
	if err != nil {
		return r, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return r, nil
	}
	return r, json.NewDecoder(resp.Body).Decode(&r)
}

// waitFor polls ok every 50 ms until it holds, for at most within.
func waitFor(ctx context.Context, within time.Duration, ok func() (bool, error)) error {
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		done, err := ok()
		if done && err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("not within %s (%v)", within, last)
}

// ---- private PostgreSQL clusters ----

// clusters are PostgreSQL clusters in a private directory, run as the
// postgres user when this process is root (PostgreSQL refuses root).
type clusters struct {
	dir, bin string
	asUser   []string // the runuser prefix, when root
	progress io.Writer
	running  []*cluster
}

type cluster struct {
	name, dir string
	port      int
}

func (c *cluster) url(role string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/hexwatch?sslmode=disable", role, c.port)
}

func newClusters(progress io.Writer) (*clusters, error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hexwatch-scaletest")
	if err != nil {
		return nil, err
	}
	pg := &clusters{dir: dir, bin: bin, progress: progress}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("scaletest: running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		pg.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	return pg, nil
}

// postgresBin is the newest PostgreSQL installed in Debian's layout, or
// the one pg_config names.
func postgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return va - vb
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_basebackup")); err == nil {
			return dirs[i], nil
		}
	}
	out, err := exec.Command("pg_config", "--bindir").Output()
	if err != nil {
		return "", errors.New("scaletest: no PostgreSQL server programs found (make db installs them)")
	}
	return strings.TrimSpace(string(out)), nil
}

func (pg *clusters) run(program string, args ...string) error {
	argv := append(slices.Clone(pg.asUser), append([]string{filepath.Join(pg.bin, program)}, args...)...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("scaletest: %s: %w\n%s", program, err, out)
	}
	return nil
}

// start starts the cluster name, made by create first when it is new, on
// a free port of loopback.
func (pg *clusters) start(name string, create func(dir string) error, options ...string) (*cluster, error) {
	c := &cluster{name: name, dir: filepath.Join(pg.dir, name)}
	for _, r := range pg.running {
		if r.name == name {
			c = r
		}
	}
	if create != nil {
		if err := create(c.dir); err != nil {
			return nil, err
		}
	}
	if c.port == 0 {
		var err error
		if c.port, err = freePort(); err != nil {
			return nil, err
		}
		pg.running = append(pg.running, c)
	}
	opts := append([]string{"-p", strconv.Itoa(c.port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + pg.dir}, options...)
	fmt.Fprintf(pg.progress, "scaletest: PostgreSQL %s on 127.0.0.1:%d\n", name, c.port)
	return c, pg.run("pg_ctl", "-D", c.dir, "-l", c.dir+".log", "-w", "-t", "60", "-o", strings.Join(opts, " "), "start")
}

func (pg *clusters) stop(c *cluster) error {
	return pg.run("pg_ctl", "-D", c.dir, "-m", "fast", "-w", "stop")
}

func (pg *clusters) createDatabase(ctx context.Context, c *cluster) error {
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE DATABASE hexwatch`)
	return err
}

// cleanup stops every cluster still running and removes the directory.
func (pg *clusters) cleanup() {
	for _, c := range pg.running {
		// One stopped already says so; nothing else is to be done.
		_ = pg.run("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop")
	}
	os.RemoveAll(pg.dir)
}

// freePort is a TCP port of loopback that nothing listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
