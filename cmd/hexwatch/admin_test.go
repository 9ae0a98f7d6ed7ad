package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

func TestOperatorCommands(t *testing.T) {
	env := []string{"HEXWATCH_DATABASE_URL=" + storetest.URL(t)}
	run := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, code := hexwatchIn(t, env, stdin, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}

	id := strings.TrimSpace(run("", "agency", "add", "Fenland Youth Club", "--kind", "community"))
	if _, err := uuid.Parse(id); err != nil {
		t.Fatalf("agency add printed %q, want only the new id", id)
	}
	if out := run("", "agency", "list"); !strings.Contains(out, "Fenland Youth Club") {
		t.Fatalf("agency list lacks the new agency: %s", out)
	}

	// A password piped in is used and not printed; without one, one is generated and printed.
	if out := run("a piped password of length\n", "user", "add", "piped", "--role", "partner", "--agency", "Fenland Youth Club"); out != "" {
		t.Fatalf("user add with a piped password printed %q, want nothing", out)
	}
	generated := strings.TrimSpace(run("", "user", "add", "generated", "--agency", "Fenland Youth Club", "--role", "chair"))
	db := storetest.DB(t)
	ctx := context.Background()
	for user, pw := range map[string]string{"piped": "a piped password of length", "generated": generated} {
		u, err := db.UserByName(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		hash, _ := db.PasswordHash(ctx, u.ID)
		if ok, _ := auth.VerifyPassword(hash, pw); !ok {
			t.Errorf("user %s: the password does not verify", user)
		}
	}
	run("", "user", "disable", "piped")
	if u, _ := db.UserByName(ctx, "piped"); !u.Disabled {
		t.Error("user disable left the user enabled")
	}
	newPW := strings.TrimSpace(run("", "user", "passwd", "generated"))
	if newPW == generated || len(newPW) < 12 {
		t.Errorf("user passwd printed %q", newPW)
	}

	key := strings.TrimSpace(run("", "key", "create", "--agency", "Fenland Youth Club", "--role", "partner", "--label", "case system"))
	p, err := db.KeyPrincipal(ctx, auth.HashSecret(key))
	if err != nil || p.AgencyName != "Fenland Youth Club" {
		t.Fatalf("key create printed %q, which does not authenticate: %v", key, err)
	}
	if out := run("", "key", "list"); strings.Contains(out, key) || !strings.Contains(out, key[:12]) {
		t.Fatalf("key list must show the prefix and never the key: %s", out)
	}
	run("", "key", "revoke", p.KeyID.String())
	if _, err := db.KeyPrincipal(ctx, auth.HashSecret(key)); err == nil {
		t.Fatal("the revoked key still authenticates")
	}
	evs, err := db.AuditEvents(ctx, store.AuditFilter{Action: store.ActionKeyRevoked, ObjectID: p.KeyID.String(), Limit: 1})
	if err != nil || len(evs) != 1 || !strings.HasPrefix(evs[0].Actor, "cli") {
		t.Fatalf("key revoke audit: got %+v, %v", evs, err)
	}

	// Names are trimmed and bounded as the API does it.
	run("", "agency", "add", "  Padded Agency  ", "--kind", "housing")
	if a, err := db.AgencyByName(ctx, "Padded Agency"); err != nil || a.Name != "Padded Agency" {
		t.Fatalf("agency add kept the spaces: %+v, %v", a, err)
	}
	if _, errOut, code := hexwatch(t, env, "key", "create", "--agency", "No Such Agency", "--role", "partner"); code != 2 || !strings.Contains(errOut, `no agency named "No Such Agency"`) {
		t.Errorf("key create for a missing agency: exit %d, %s", code, errOut)
	}
	// A database that does not answer is an outage, not a missing agency.
	down := []string{"HEXWATCH_DATABASE_URL=postgres://postgres@127.0.0.1:1/hexwatch?sslmode=disable&connect_timeout=2"}
	if _, errOut, code := hexwatch(t, down, "key", "create", "--agency", "Fenland Youth Club", "--role", "partner"); code != 1 || strings.Contains(errOut, "no agency") {
		t.Errorf("key create with the database down: exit %d, %s", code, errOut)
	}

	for _, args := range [][]string{
		{"agency", "add", strings.Repeat("n", 201), "--kind", "housing"},
		{"agency", "add", "No Kind"},
		{"agency", "add", "Bad", "--kind", "army"},
		{"user", "add", "x", "--role", "god", "--agency", "Fenland Youth Club"},
		{"key", "revoke", "not-a-uuid"},
		{"user", "frob"},
	} {
		if _, _, code := hexwatch(t, env, args...); code != 2 {
			t.Errorf("%v: got exit %d, want 2", args, code)
		}
	}
}

func TestDemo(t *testing.T) {
	env := []string{"HEXWATCH_DATABASE_URL=" + storetest.URL(t)}
	for range 2 {
		out, errOut, code := hexwatch(t, env, "demo", "--reports", "500", "--seed", "3")
		if code != 0 {
			t.Fatalf("demo: exit %d: %s", code, errOut)
		}
		if !strings.Contains(errOut, "DEMO") || len(strings.Split(strings.TrimSpace(out), "\n")) != 6 {
			t.Fatalf("demo printed %q / %q, want six labelled credentials", out, errOut)
		}
		// Some reports wait for evaluation, others were evaluated.
		if !regexp.MustCompile(`DEMO evaluations: [1-9]\d* evaluated in [^,]+, [1-9]\d* left in the queue`).MatchString(errOut) {
			t.Fatalf("demo evaluations: %s", errOut)
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			u, err := storetest.DB(t).UserByName(context.Background(), f[1])
			if err != nil || string(u.Role) != f[0] {
				t.Fatalf("demo user %q: %+v, %v", line, u, err)
			}
			hash, _ := storetest.DB(t).PasswordHash(context.Background(), u.ID)
			if ok, _ := auth.VerifyPassword(hash, f[2]); !ok {
				t.Fatalf("demo user %s: the printed password does not verify", f[1])
			}
		}
	}
	var n int
	storetest.SQL(t, storetest.DB(t)).QueryRow(context.Background(), `SELECT count(*) FROM reports WHERE narrative LIKE '[DEMO]%'`).Scan(&n)
	if n != 500 {
		t.Fatalf("after two runs with the same seed: %d DEMO reports, want 500", n)
	}
	// Without --reports, a database that holds reports gets no more.
	if _, errOut, code := hexwatch(t, env, "demo"); code != 0 || !strings.Contains(errOut, "no DEMO reports loaded") {
		t.Fatalf("demo on a database with reports: exit %d, %s", code, errOut)
	}
}

func TestImport(t *testing.T) {
	env := []string{"HEXWATCH_DATABASE_URL=" + storetest.URL(t)}
	if _, errOut, code := hexwatch(t, env, "agency", "add", "Import Test Council", "--kind", "local_authority"); code != 0 {
		t.Fatal(errOut)
	}
	for _, want := range []struct{ created, duplicate int }{{50, 0}, {0, 50}} {
		out, errOut, code := hexwatch(t, env, "import", "../../testdata/reports.csv", "--agency", "Import Test Council")
		var s struct{ Created, Duplicate int }
		if err := json.Unmarshal([]byte(out), &s); err != nil || code != 0 {
			t.Fatalf("import: exit %d, %q, %s", code, out, errOut)
		}
		if s.Created != want.created || s.Duplicate != want.duplicate || !strings.Contains(errOut, "100.0%") {
			t.Fatalf("import: %+v, progress %q; want %+v", s, errOut, want)
		}
	}
	if _, _, code := hexwatch(t, env, "import", "../../testdata/reports.csv"); code != 2 {
		t.Errorf("import without --agency: exit %d, want 2", code)
	}
}
