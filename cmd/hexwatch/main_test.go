package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hexwatch-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "hexwatch")
	// Built as the Makefile builds it, so that a moved version variable fails here.
	out, err := exec.Command("go", "build", "-ldflags", "-X main.version=v9.9.9-test", "-o", binary, ".").CombinedOutput()
	if err != nil {
		panic("build hexwatch: " + err.Error() + "\n" + string(out))
	}
	// The built-in service area and gazetteer serve, as in production.
	os.Unsetenv("HEXWATCH_SERVICE_AREA")
	os.Unsetenv("HEXWATCH_GAZETTEER")
	code := storetest.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

func hexwatch(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return hexwatchIn(t, env, "", args...)
}

// hexwatchIn runs the binary with stdin as its standard input.
func hexwatchIn(t *testing.T, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

func TestVersion(t *testing.T) {
	out, _, code := hexwatch(t, nil, "version")
	if code != 0 || !strings.Contains(out, "hexwatch v9.9.9-test") {
		t.Fatalf("version: got %q (exit %d), want the version set by -ldflags", out, code)
	}
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "commands:"},
		{[]string{"serve", "--help"}, "HEXWATCH_ADDR"},
		{[]string{"migrate", "--help"}, "HEXWATCH_DATABASE_URL"},
		{[]string{"version", "--help"}, "usage: hexwatch version"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, errOut, code := hexwatch(t, nil, tt.args...)
			if code != 0 || !strings.Contains(errOut, tt.want) {
				t.Fatalf("got exit %d and %q, want exit 0 mentioning %s", code, errOut, tt.want)
			}
		})
	}
	if _, _, code := hexwatch(t, nil, "frobnicate"); code != 2 {
		t.Errorf("unknown command: got exit %d, want 2", code)
	}
	if _, _, code := hexwatch(t, nil, "migrate", "down", "zero"); code != 2 {
		t.Errorf("migrate down zero: got exit %d, want 2", code)
	}
}

func TestMigrateCommand(t *testing.T) {
	env := []string{"HEXWATCH_DATABASE_URL=" + storetest.EmptyDatabase(t)}
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"migrate", "version"}, "0"},
		{[]string{"migrate", "up"}, itoa(store.SchemaVersion)},
		{[]string{"migrate", "down", "1"}, itoa(store.SchemaVersion - 1)},
		{[]string{"migrate", "up"}, itoa(store.SchemaVersion)},
	}
	for _, s := range steps {
		out, errOut, code := hexwatch(t, env, s.args...)
		if code != 0 || strings.TrimSpace(out) != s.want {
			t.Fatalf("%v: got %q (exit %d, %s), want %s", s.args, out, code, errOut, s.want)
		}
	}
}

func itoa(v uint) string { return strconv.FormatUint(uint64(v), 10) }

func TestServeRefusesNewerSchema(t *testing.T) {
	url := storetest.EmptyDatabase(t)
	env := []string{"HEXWATCH_DATABASE_URL=" + url}
	if _, errOut, code := hexwatch(t, env, "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: %s", errOut)
	}
	db, err := store.Open(context.Background(), url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := storetest.SQL(t, db).Exec(context.Background(), `UPDATE schema_migrations SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"serve", "--addr", "127.0.0.1:0"}, {"serve", "--addr", "127.0.0.1:0", "--migrate=false"}} {
		_, errOut, code := hexwatch(t, env, args...)
		if code == 0 || !strings.Contains(errOut, "newer than this binary") {
			t.Errorf("%v on a newer schema: got exit %d, %q; want a refusal", args, code, errOut)
		}
	}
}

var (
	servingRE = regexp.MustCompile(`serving on (http://\S+)`)
	metricsRE = regexp.MustCompile(`metrics on (http://\S+)`)
)

// serveEnv points serve at the package database: as the service's own
// role, migrating as the owner.
func serveEnv(t *testing.T) []string {
	return []string{"HEXWATCH_DATABASE_URL=" + storetest.AppURL(t), "HEXWATCH_MIGRATE_DATABASE_URL=" + storetest.URL(t), "HEXWATCH_METRICS_ADDR=127.0.0.1:0"}
}

func TestServeRefusesAPrivilegedRole(t *testing.T) {
	env := []string{"HEXWATCH_DATABASE_URL=" + storetest.URL(t)}
	_, errOut, code := hexwatch(t, env, "serve", "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errOut, "superuser") || !strings.Contains(errOut, "hexwatch_app") || !strings.Contains(errOut, "--allow-superuser") {
		t.Fatalf("serve as a superuser: exit %d, %q; want a refusal naming the fix", code, errOut)
	}
}

// TestMigrateAsTheAppRole runs migrate up with only the app role's URL, as
// serve does when no owner's URL is given: on a current schema it has
// nothing to do and must not fail on the grants it cannot give.
func TestMigrateAsTheAppRole(t *testing.T) {
	out, errOut, code := hexwatch(t, []string{"HEXWATCH_DATABASE_URL=" + storetest.AppURL(t)}, "migrate", "up")
	if code != 0 || strings.TrimSpace(out) != itoa(store.SchemaVersion) {
		t.Fatalf("migrate up as %s: exit %d, %q, %s", store.AppRole, code, out, errOut)
	}
}

func TestAuditVerify(t *testing.T) {
	url := storetest.EmptyDatabase(t)
	env := []string{"HEXWATCH_DATABASE_URL=" + url}
	if _, errOut, code := hexwatch(t, env, "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: %s", errOut)
	}
	for i := range 5 {
		if _, errOut, code := hexwatch(t, env, "agency", "add", fmt.Sprintf("Audit Verify Agency %d", i), "--kind", "police"); code != 0 {
			t.Fatalf("agency add: %s", errOut)
		}
	}
	if _, errOut, code := hexwatch(t, env, "audit", "verify"); code != 0 || !strings.Contains(errOut, "intact: 5 events") {
		t.Fatalf("audit verify on an intact log: exit %d, %s", code, errOut)
	}
	// The owner (not the service) can still get past the trigger: the chain tells.
	db, err := store.Open(context.Background(), url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id int64
	if err := storetest.SQL(t, db).QueryRow(context.Background(), `SELECT id FROM audit_events ORDER BY chain_seq OFFSET 2 LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := storetest.SQL(t, db).Exec(context.Background(), `ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete;
		UPDATE audit_events SET actor = 'someone else' WHERE id = `+strconv.FormatInt(id, 10)+`;
		ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete`); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := hexwatch(t, env, "audit", "verify")
	if code != 1 || strings.TrimSpace(out) != strconv.FormatInt(id, 10) || !strings.Contains(errOut, "event "+strconv.FormatInt(id, 10)) {
		t.Fatalf("audit verify after tampering with event %d: exit %d, stdout %q, %s", id, code, out, errOut)
	}
}

func TestServeAndTerminate(t *testing.T) {
	hexwatch(t, []string{"HEXWATCH_DATABASE_URL=" + storetest.URL(t)}, "agency", "add", "Shutdown Test Agency", "--kind", "police")
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), serveEnv(t)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	urlc, metricsc := make(chan string, 1), make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
			if m := metricsRE.FindStringSubmatch(sc.Text()); m != nil {
				metricsc <- m[1]
			}
		}
	}()
	var base, metrics string
	select {
	case metrics = <-metricsc:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not print its metrics URL")
	}
	select {
	case base = <-urlc:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not print its URL")
	}
	for _, path := range []string{"healthz", "readyz"} {
		get(t, base+path)
	}

	// A slow upload is in flight when SIGTERM comes: it finishes, then the process exits 0.
	key := strings.TrimSpace(runOp(t, "key", "create", "--agency", "Shutdown Test Agency", "--role", "partner"))
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, base+"api/v1/reports/bulk", pr)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/x-ndjson")
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, string(b), nil}
	}()
	line := `{"external_ref":"slow-%d","category":"drug_supply","observed_at":"` + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339) +
		`","location":{"lat":52.2,"lon":0.12},"grading":{"source":2,"assessment":"B","handling":"P"},"classification":"OFFICIAL"}` + "\n"
	fmt.Fprintf(pw, line, 1)
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(get(t, metrics), "hexwatch_bulk_uploads_in_progress 1"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the upload did not start")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	fmt.Fprintf(pw, line, 2)
	pw.Close()
	r := <-done
	if r.err != nil || r.status != http.StatusOK || !strings.Contains(r.body, `"created":2`) {
		t.Fatalf("upload in flight at SIGTERM: %d %s %v; want it to finish with 2 created", r.status, r.body, r.err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v, want exit 0", err)
	}
}

// runOp runs an operator command against the package database and returns its stdout.
func runOp(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := hexwatch(t, []string{"HEXWATCH_DATABASE_URL=" + storetest.URL(t)}, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	return out
}

// startServe starts `hexwatch serve` on the package database and returns
// the process and its base URL.
func startServe(t *testing.T) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), append(serveEnv(t), "HEXWATCH_TILE_URL=none")...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
	}()
	select {
	case u := <-urlc:
		return cmd, u
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not print its URL")
		return nil, ""
	}
}

// TestKilledDuringUpload kills hexwatch (SIGKILL) in the middle of a bulk
// upload; after a restart, sending the file again stores exactly its rows.
func TestKilledDuringUpload(t *testing.T) {
	runOp(t, "agency", "add", "Kill Test Agency", "--kind", "police")
	key := strings.TrimSpace(runOp(t, "key", "create", "--agency", "Kill Test Agency", "--role", "partner"))
	var file strings.Builder
	at := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	for i := range 7000 {
		fmt.Fprintf(&file, `{"external_ref":"kill-%d","category":"violence","observed_at":"%s","location":{"lat":%.4f,"lon":0.12},"grading":{"source":2,"assessment":"B","handling":"P"},"classification":"OFFICIAL"}`+"\n",
			i, at, 52.15+float64(i%300)/1000)
	}
	db := storetest.DB(t)
	count := func() int {
		var n int
		storetest.SQL(t, db).QueryRow(context.Background(), `SELECT count(*) FROM reports WHERE external_ref LIKE 'kill-%'`).Scan(&n)
		return n
	}
	upload := func(base string, body io.Reader) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodPost, base+"api/v1/reports/bulk", body)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/x-ndjson")
		return http.DefaultClient.Do(req)
	}

	cmd, base := startServe(t)
	pr, pw := io.Pipe()
	go upload(base, pr)
	half := len(file.String()) / 2
	pw.Write([]byte(file.String()[:half]))
	for deadline := time.Now().Add(time.Minute); count() < 2000; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting for the first batch to be stored")
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	pw.Close()
	stored := count()
	if stored%2000 != 0 {
		t.Fatalf("%d rows stored when hexwatch was killed: a batch was half-written", stored)
	}

	_, base = startServe(t)
	resp, err := upload(base, strings.NewReader(file.String()))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("resend: %v %v", resp, err)
	}
	resp.Body.Close()
	if n := count(); n != 7000 {
		t.Fatalf("after the resend %d rows are stored, want exactly the file's 7000", n)
	}
}

// get fetches url and returns the body of its 200 answer.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got %d, want 200", url, resp.StatusCode)
	}
	return string(b)
}

// TestAgencySelfGradingAndEvaluatorKeys: agencies grade their own reports
// by their kind's default or as told; evaluator keys are for police agencies.
func TestAgencySelfGradingAndEvaluatorKeys(t *testing.T) {
	suffix := fmt.Sprint(time.Now().UnixNano() % 1e9)
	runOp(t, "agency", "add", "Grading Police "+suffix, "--kind", "police")
	runOp(t, "agency", "add", "Grading School "+suffix, "--kind", "education")
	runOp(t, "agency", "add", "Grading Youth "+suffix, "--kind", "youth_justice", "--self-grading")
	list := runOp(t, "agency", "list")
	for name, want := range map[string]string{"Grading Police": "true", "Grading School": "false", "Grading Youth": "true"} {
		if !regexp.MustCompile(regexp.QuoteMeta(name+" "+suffix) + `\s+\S+\s+` + want).MatchString(list) {
			t.Errorf("%s: self-grading is not %s in:\n%s", name, want, list)
		}
	}
	runOp(t, "agency", "set", "Grading Police "+suffix, "--self-grading=false")
	if list := runOp(t, "agency", "list"); !regexp.MustCompile(`Grading Police ` + suffix + `\s+police\s+false`).MatchString(list) {
		t.Errorf("agency set --self-grading=false: %s", list)
	}
	if _, errOut, code := hexwatch(t, []string{"HEXWATCH_DATABASE_URL=" + storetest.URL(t)}, "agency", "set", "Grading Police "+suffix); code == 0 || !strings.Contains(errOut, "--self-grading") {
		t.Errorf("agency set without --self-grading: exit %d %s", code, errOut)
	}
	if key := strings.TrimSpace(runOp(t, "key", "create", "--agency", "Grading Police "+suffix, "--role", "evaluator")); !strings.HasPrefix(key, "hxw_") {
		t.Errorf("an evaluator key for a police agency: %q", key)
	}
	if _, errOut, code := hexwatch(t, []string{"HEXWATCH_DATABASE_URL=" + storetest.URL(t)}, "key", "create", "--agency", "Grading School "+suffix, "--role", "evaluator"); code == 0 || !strings.Contains(errOut, "police") {
		t.Errorf("an evaluator key for a school: exit %d %s", code, errOut)
	}
}
