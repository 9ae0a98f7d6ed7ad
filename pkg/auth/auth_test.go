package auth

import (
	"strings"
	"testing"
)

func TestPasswordRoundTrip(t *testing.T) {
	hash, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not carry OWASP's argon2id parameters", hash)
	}
	tests := []struct {
		password string
		want     bool
	}{
		{"correct horse battery staple", true},
		{"correct horse battery stapl", false},
		{"", false},
	}
	for _, tt := range tests {
		got, err := VerifyPassword(hash, tt.password)
		if err != nil || got != tt.want {
			t.Errorf("VerifyPassword(%q): got %v, %v; want %v", tt.password, got, err, tt.want)
		}
	}
	other, _ := HashPassword("correct horse battery staple")
	if other == hash {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestVerifyPasswordRejectsMalformedHashes(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA", "$argon2id$v=19$m=1,t=1,p=1$!!$AA"} {
		if _, err := VerifyPassword(h, "x"); err == nil {
			t.Errorf("VerifyPassword(%q): got no error", h)
		}
	}
}

func TestAPIKeys(t *testing.T) {
	key, prefix := NewAPIKey()
	if !strings.HasPrefix(key, KeyPrefix) || !strings.HasPrefix(key, prefix) || len(prefix) != len(KeyPrefix)+8 {
		t.Fatalf("key %q prefix %q", key, prefix)
	}
	other, _ := NewAPIKey()
	if key == other {
		t.Fatal("two keys are equal")
	}
	if string(HashSecret(key)) == string(HashSecret(other)) {
		t.Fatal("two keys hash equal")
	}
}

func TestMatrix(t *testing.T) {
	tests := []struct {
		role Role
		perm Permission
		want bool
	}{
		{Partner, SubmitReports, true},
		{Partner, ReadAllReports, false},
		{Analyst, ReadAllReports, true},
		{Analyst, SubmitReports, false},
		{Chair, ReadOwnReports, false},
		{Partner, ChangeOwnReports, true},
		{Chair, ChangeOwnReports, false},
		{Admin, ChangeOwnReports, false},
		{Chair, CreateSnapshots, true},
		{Admin, ReadAudit, true},
		{Admin, ViewHotspots, false},
		{Role("root"), ViewReference, false},
	}
	for _, tt := range tests {
		if got := tt.role.Can(tt.perm); got != tt.want {
			t.Errorf("%s.Can(%s): got %v, want %v", tt.role, tt.perm, got, tt.want)
		}
	}
	var nobody *Principal
	if nobody.Can(ViewReference) {
		t.Error("a nil principal can do something")
	}
}
