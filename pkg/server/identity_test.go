package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/store"
)

func TestSessionLifecycle(t *testing.T) {
	f := newFixture(t)
	analyst := f.callers["analyst"]
	f.login(analyst)

	resp := f.json("analyst", http.MethodGet, "/api/v1/me", nil)
	var me struct {
		Username    string   `json:"username"`
		Role        string   `json:"role"`
		Permissions []string `json:"permissions"`
	}
	if err := json.Unmarshal(resp.body, &me); err != nil || me.Username != analyst.username || me.Role != "analyst" {
		t.Fatalf("/me: got %d %s", resp.StatusCode, resp.body)
	}

	// A state-changing request with the cookie but without the CSRF token is refused.
	noCSRF := *analyst
	noCSRF.csrf = ""
	f.callers["no-csrf"] = &noCSRF
	if r := f.json("no-csrf", http.MethodDelete, "/api/v1/session", nil); r.StatusCode != http.StatusForbidden {
		t.Fatalf("DELETE /session without CSRF token: got %d, want 403", r.StatusCode)
	}

	old := analyst.cookie
	if r := f.json("analyst", http.MethodDelete, "/api/v1/session", nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: got %d %s", r.StatusCode, r.body)
	}
	stale := &caller{cookie: old, csrf: analyst.csrf}
	f.callers["stale"] = stale
	if r := f.json("stale", http.MethodGet, "/api/v1/me", nil); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/me after logout: got %d, want 401", r.StatusCode)
	}
	analyst.cookie = ""
}

func TestLoginReplacesSession(t *testing.T) {
	f := newFixture(t)
	c := f.callers["chair"]
	f.login(c)
	first := c.cookie
	// Log in again presenting the first session: it must end and a new id be issued.
	body := strings.NewReader(`{"username":"` + c.username + `","password":"` + c.password + `"}`)
	resp := f.request(c, http.MethodPost, "/api/v1/session", "application/json", body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: got %d", resp.StatusCode)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "hexwatch_session" && ck.Value == first {
			t.Fatal("login kept the session id that was presented")
		}
	}
	f.callers["first"] = &caller{cookie: first}
	if r := f.json("first", http.MethodGet, "/api/v1/me", nil); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/me with the replaced session: got %d, want 401", r.StatusCode)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	f := newFixture(t)
	p := f.callers["partner"]
	for _, tt := range []struct {
		host       string
		wantSecure bool
	}{{"127.0.0.1:8080", false}, {"localhost", false}, {"hexwatch.example.org", true}} {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/session",
			strings.NewReader(`{"username":"`+p.username+`","password":"`+p.password+`"}`))
		req.Host = tt.host
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		cookies := rec.Result().Cookies()
		if rec.Code != http.StatusOK || len(cookies) != 1 {
			t.Fatalf("login via %s: got %d, %d cookies", tt.host, rec.Code, len(cookies))
		}
		ck := cookies[0]
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure != tt.wantSecure {
			t.Errorf("cookie via %s: HttpOnly=%v SameSite=%v Secure=%v; want true, Strict, %v",
				tt.host, ck.HttpOnly, ck.SameSite, ck.Secure, tt.wantSecure)
		}
	}
}

func TestSessionExpiry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tt := range []struct {
		name, sql string
	}{
		{"idle", `UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE token_hash = $1`},
		{"absolute", `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			c := f.callers["partner"]
			c.cookie = ""
			f.login(c)
			if r := f.json("partner", http.MethodGet, "/api/v1/me", nil); r.StatusCode != http.StatusOK {
				t.Fatalf("/me: got %d", r.StatusCode)
			}
			if _, err := f.sql().Exec(ctx, tt.sql, auth.HashSecret(c.cookie)); err != nil {
				t.Fatal(err)
			}
			if r := f.json("partner", http.MethodGet, "/api/v1/me", nil); r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("/me after %s expiry: got %d, want 401", tt.name, r.StatusCode)
			}
		})
	}
}

func TestFailedLoginsLookAlikeAndAreThrottled(t *testing.T) {
	f := newFixture(t)
	p := f.callers["partner"]
	login := func(username, password string) response {
		body := strings.NewReader(`{"username":"` + username + `","password":"` + password + `"}`)
		return f.request(nil, http.MethodPost, "/api/v1/session", "application/json", body)
	}
	unknown := login("nobody-"+p.username, "whatever it is")
	wrong := login(p.username, "not the password")
	var pu, pw map[string]any
	json.Unmarshal(unknown.body, &pu)
	json.Unmarshal(wrong.body, &pw)
	if unknown.StatusCode != http.StatusUnauthorized || wrong.StatusCode != http.StatusUnauthorized || pu["detail"] != pw["detail"] {
		t.Fatalf("unknown user got %d %v; wrong password got %d %v; want the same 401", unknown.StatusCode, pu["detail"], wrong.StatusCode, pw["detail"])
	}
	for i := 2; i <= 5; i++ {
		if r := login(p.username, "not the password"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: got %d, want 401", i, r.StatusCode)
		}
	}
	for _, pass := range []string{"not the password", p.password} {
		r := login(p.username, pass)
		if r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("login after 5 failures: got %d, want 429", r.StatusCode)
		}
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 15*60 {
			t.Fatalf("Retry-After: got %q, want 1..900 seconds", r.Header.Get("Retry-After"))
		}
	}
	// Another user is not throttled by this one's failures.
	if r := login(f.callers["chair"].username, password); r.StatusCode != http.StatusOK {
		t.Fatalf("another user's login: got %d, want 200", r.StatusCode)
	}
	// The real user gets in after the short wait it was told.
	r := login(p.username, "not the password")
	wait, _ := strconv.Atoi(r.Header.Get("Retry-After"))
	time.Sleep(time.Duration(wait) * time.Second)
	if r := login(p.username, p.password); r.StatusCode != http.StatusOK {
		t.Fatalf("the right password after waiting %d s: got %d %s", wait, r.StatusCode, r.body)
	}
}

// TestConcurrentGuessesAreCheckedAtMostTheLimit sends 30 wrong passwords
// for one user at once: at most 5 are checked (401), the rest wait (429),
// and then the user and others at the same address still get in.
func TestConcurrentGuessesAreCheckedAtMostTheLimit(t *testing.T) {
	f := newFixture(t)
	p := f.callers["analyst"]
	login := func(username, password string) response {
		body := strings.NewReader(`{"username":"` + username + `","password":"` + password + `"}`)
		return f.request(nil, http.MethodPost, "/api/v1/session", "application/json", body)
	}
	codes := make(chan int, 30)
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- login(p.username, "a wrong guess of a password").StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	byCode := map[int]int{}
	for c := range codes {
		byCode[c]++
	}
	if byCode[http.StatusUnauthorized] > 5 || byCode[http.StatusUnauthorized]+byCode[http.StatusTooManyRequests] != 30 {
		t.Fatalf("30 concurrent wrong logins: %v; want at most 5 checked (401), the rest 429", byCode)
	}
	if r := login(f.callers["chair"].username, password); r.StatusCode != http.StatusOK {
		t.Fatalf("another user at the same address: got %d, want 200", r.StatusCode)
	}
	time.Sleep(2 * time.Second)
	if r := login(p.username, p.password); r.StatusCode != http.StatusOK {
		t.Fatalf("the right password after a short wait: got %d %s", r.StatusCode, r.body)
	}
}

func TestSecretsAreShownOnce(t *testing.T) {
	f := newFixture(t)
	created := f.json("admin", http.MethodPost, "/api/v1/users", map[string]string{
		"username": "generated-" + f.agencyA.ID.String()[:8], "role": "chair", "agency": f.agencyA.Name,
	})
	var u struct {
		Password string `json:"password"`
	}
	if err := json.Unmarshal(created.body, &u); err != nil || created.StatusCode != http.StatusCreated || len(u.Password) < 12 {
		t.Fatalf("create user: got %d %s, want a generated password", created.StatusCode, created.body)
	}
	createdKey := f.json("admin", http.MethodPost, "/api/v1/keys", map[string]string{"agency": f.agencyB.Name, "role": "partner"})
	var k struct {
		Key    string `json:"key"`
		Prefix string `json:"prefix"`
	}
	if err := json.Unmarshal(createdKey.body, &k); err != nil || !strings.HasPrefix(k.Key, auth.KeyPrefix) {
		t.Fatalf("create key: got %d %s", createdKey.StatusCode, createdKey.body)
	}
	// The new key works.
	f.callers["new-key"] = &caller{key: k.Key}
	if r := f.json("new-key", http.MethodGet, "/api/v1/me", nil); r.StatusCode != http.StatusOK {
		t.Fatalf("/me with the new key: got %d", r.StatusCode)
	}

	secrets := []string{u.Password, k.Key, password, "$argon2id$"}
	for _, path := range []string{"/api/v1/users", "/api/v1/keys", "/api/v1/audit?limit=1000"} {
		r := f.json("admin", http.MethodGet, path, nil)
		for _, s := range secrets {
			if strings.Contains(string(r.body), s) {
				t.Errorf("GET %s reveals a secret %q", path, s)
			}
		}
	}
	for _, s := range secrets[:3] {
		if f.logs.Contains(s) {
			t.Errorf("the logs reveal a secret %q", s)
		}
	}
}

func TestAuditRecordsEachAction(t *testing.T) {
	f := newFixture(t)
	f.login(f.callers["partner"])
	f.json("partner", http.MethodGet, "/api/v1/audit", nil) // access_denied
	f.request(nil, http.MethodPost, "/api/v1/session", "application/json",
		strings.NewReader(`{"username":"`+f.callers["chair"].username+`","password":"wrong password"}`)) // login_failed
	r := f.json("admin", http.MethodPost, "/api/v1/keys", map[string]string{"agency": f.agencyA.Name, "role": "partner"})
	var k struct {
		ID string `json:"id"`
	}
	json.Unmarshal(r.body, &k)
	f.json("admin", http.MethodDelete, "/api/v1/keys/"+k.ID, nil)
	f.json("admin", http.MethodPost, "/api/v1/agencies", map[string]string{"name": "Audit " + k.ID, "kind": "health"})
	f.json("partner", http.MethodDelete, "/api/v1/session", nil)

	events, err := f.db.AuditEvents(context.Background(), store.AuditFilter{From: time.Now().Add(-time.Minute), Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// The newest event of each action that this fixture's callers caused.
	seen := map[string]store.AuditEvent{}
	for _, ev := range events {
		ours := (ev.AgencyID != nil && *ev.AgencyID == f.agencyA.ID) || ev.ObjectID == f.callers["chair"].username
		if _, dup := seen[ev.Action]; ours && !dup {
			seen[ev.Action] = ev
		}
	}
	for _, action := range []string{store.ActionLogin, store.ActionLoginFailed, store.ActionLogout, store.ActionKeyCreated,
		store.ActionKeyRevoked, store.ActionAccessDenied, store.ActionAdmin} {
		ev, ok := seen[action]
		if !ok {
			t.Errorf("no %s audit event", action)
			continue
		}
		if ev.RequestID == "" || ev.Actor == "" {
			t.Errorf("%s event lacks its request id or actor: %+v", action, ev)
		}
	}
	if ev := seen[store.ActionAccessDenied]; ev.Actor != f.callers["partner"].username || ev.ObjectID != "GET /api/v1/audit" {
		t.Errorf("access_denied event: got actor %q object %q", ev.Actor, ev.ObjectID)
	}
}

func TestAuditPaging(t *testing.T) {
	f := newFixture(t)
	var ids []int64
	cursor := ""
	for page := 0; page < 3; page++ {
		r := f.json("admin", http.MethodGet, "/api/v1/audit?limit=2"+cursor, nil)
		var l struct {
			Items      []store.AuditEvent `json:"items"`
			NextCursor string             `json:"next_cursor"`
		}
		if err := json.Unmarshal(r.body, &l); err != nil || r.StatusCode != http.StatusOK || len(l.Items) != 2 {
			t.Fatalf("page %d: got %d %s", page, r.StatusCode, r.body)
		}
		for _, ev := range l.Items {
			if len(ids) > 0 && ev.ID >= ids[len(ids)-1] {
				t.Fatalf("page %d: id %d after %d, want strictly descending", page, ev.ID, ids[len(ids)-1])
			}
			ids = append(ids, ev.ID)
		}
		cursor = "&cursor=" + l.NextCursor
	}
	if r := f.json("admin", http.MethodGet, "/api/v1/audit?limit=0&from=yesterday", nil); r.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(r.body), `"field":"limit"`) || !strings.Contains(string(r.body), `"field":"from"`) {
		t.Fatalf("bad audit query: got %d %s", r.StatusCode, r.body)
	}
}

func TestBadIdentityInput(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, method, path, contentType, body, field string
		want                                         int
	}{
		{"unknown field", "POST", "/api/v1/agencies", "application/json", `{"name":"x","kind":"police","boss":1}`, "boss", 400},
		{"bad kind", "POST", "/api/v1/agencies", "application/json", `{"name":"x","kind":"army"}`, "kind", 400},
		{"wrong type", "POST", "/api/v1/users", "application/json", `{"username":7}`, "username", 400},
		{"short password", "POST", "/api/v1/users", "application/json", `{"username":"shorty","password":"short","role":"chair","agency":"` + f.agencyA.Name + `"}`, "password", 400},
		{"unknown agency", "POST", "/api/v1/keys", "application/json", `{"agency":"Nowhere","role":"partner"}`, "agency", 400},
		{"bad role", "POST", "/api/v1/keys", "application/json", `{"agency":"` + f.agencyA.Name + `","role":"god"}`, "role", 400},
		{"truncated", "POST", "/api/v1/agencies", "application/json", `{"name":"x",`, "", 400},
		{"two values", "POST", "/api/v1/agencies", "application/json", `{"name":"x","kind":"police"} {}`, "", 400},
		{"not JSON", "POST", "/api/v1/agencies", "text/plain", `name=x`, "", 415},
		{"unknown user id", "PATCH", "/api/v1/users/01a22b89-e7ef-75f8-8da0-0f034be1c5d4", "application/json", `{"disabled":true}`, "", 404},
		{"malformed user id", "PATCH", "/api/v1/users/nope", "application/json", `{"disabled":true}`, "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			r := f.request(f.callers["admin"], tt.method, tt.path, tt.contentType, strings.NewReader(tt.body))
			if r.StatusCode != tt.want || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("got %d %s, want %d problem+json", r.StatusCode, r.body, tt.want)
			}
			if tt.field != "" && !strings.Contains(string(r.body), `"field":"`+tt.field+`"`) {
				t.Fatalf("got %s, want an error naming %s", r.body, tt.field)
			}
		})
	}
}

// TestChangeOwnPassword: a user changes their own password given the
// current one; a wrong current password is a 400 naming it, audited.
func TestChangeOwnPassword(t *testing.T) {
	f := newFixture(t)
	c := f.callers["chair"]
	if r := f.json("chair", http.MethodPut, "/api/v1/me/password", map[string]string{"current_password": "not it", "new_password": "a much longer passphrase"}); r.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(r.body), `"field":"current_password"`) {
		t.Fatalf("wrong current password: %d %s", r.StatusCode, r.body)
	}
	if r := f.json("chair", http.MethodPut, "/api/v1/me/password", map[string]string{"current_password": c.password, "new_password": "short"}); r.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(r.body), `"field":"new_password"`) {
		t.Fatalf("weak new password: %d %s", r.StatusCode, r.body)
	}
	const next = "a much longer passphrase for the chair"
	if r := f.json("chair", http.MethodPut, "/api/v1/me/password", map[string]string{"current_password": c.password, "new_password": next}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("change: %d %s", r.StatusCode, r.body)
	}
	fresh := &caller{name: "chair-again", username: c.username, password: next}
	f.login(fresh)
	if fresh.cookie == "" {
		t.Fatal("the new password does not log in")
	}
	evs, err := f.db.AuditEvents(context.Background(), store.AuditFilter{Action: store.ActionAccessDenied, Actor: c.username, Limit: 5})
	if err != nil || len(evs) != 1 {
		t.Fatalf("a wrong current password is not audited once: %d %v", len(evs), err)
	}
}
