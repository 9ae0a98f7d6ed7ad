package config

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func load(t *testing.T, args []string, vars map[string]string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c, _, err := Load(fs, args, env(vars), Database, HTTP)
	return c, err
}

func TestLoadPrecedence(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantAddr string
		wantURL  string
	}{
		{"defaults", nil, nil, ":8080", DefaultDatabaseURL},
		{"env over default", nil, map[string]string{"HEXWATCH_ADDR": ":9000"}, ":9000", DefaultDatabaseURL},
		{"flag over env", []string{"--addr", ":9100"}, map[string]string{"HEXWATCH_ADDR": ":9000"}, ":9100", DefaultDatabaseURL},
		{"flag over default", []string{"-database-url", "postgres://x@h/db"}, nil, ":8080", "postgres://x@h/db"},
		{"empty env keeps default", nil, map[string]string{"HEXWATCH_ADDR": ""}, ":8080", DefaultDatabaseURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(t, tt.args, tt.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Addr != tt.wantAddr {
				t.Errorf("Addr: got %q, want %q", c.Addr, tt.wantAddr)
			}
			if c.DatabaseURL != tt.wantURL {
				t.Errorf("DatabaseURL: got %q, want %q", c.DatabaseURL, tt.wantURL)
			}
		})
	}
}

func TestLoadTypes(t *testing.T) {
	c, err := load(t, []string{"--migrate=false", "--read-timeout", "7s"}, map[string]string{
		"HEXWATCH_LOG_LEVEL":  "debug",
		"HEXWATCH_BODY_LIMIT": "2MiB",
		"HEXWATCH_MIGRATE":    "true",
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Migrate {
		t.Errorf("Migrate: got true, want false (flag over env)")
	}
	if c.LogLevel != slog.LevelDebug {
		t.Errorf("LogLevel: got %v, want debug", c.LogLevel)
	}
	if c.BodyLimit != 2<<20 {
		t.Errorf("BodyLimit: got %d, want %d", c.BodyLimit, 2<<20)
	}
	if c.ReadTimeout != 7*time.Second {
		t.Errorf("ReadTimeout: got %v, want 7s", c.ReadTimeout)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad env duration", nil, map[string]string{"HEXWATCH_READ_TIMEOUT": "soon"}, "HEXWATCH_READ_TIMEOUT"},
		{"bad level", nil, map[string]string{"HEXWATCH_LOG_LEVEL": "loud"}, "HEXWATCH_LOG_LEVEL"},
		{"non-postgres url", []string{"--database-url", "mysql://x"}, nil, "HEXWATCH_DATABASE_URL"},
		{"zero timeout", []string{"--write-timeout", "0s"}, nil, "HEXWATCH_WRITE_TIMEOUT"},
		{"tiny body limit", nil, map[string]string{"HEXWATCH_BODY_LIMIT": "10"}, "HEXWATCH_BODY_LIMIT"},
		{"unknown flag", []string{"--nope"}, nil, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.args, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestScopeLimitsFlags(t *testing.T) {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, _, err := Load(fs, []string{"--addr", ":1"}, env(nil), Database); err == nil {
		t.Fatal("got no error for an HTTP flag on a database-only command")
	}
}

func TestREADMEListsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	for _, v := range c.Variables() {
		row := fmt.Sprintf("| `%s` | `--%s` | `%s` |", v.Env, v.Flag, v.Default)
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md lacks the row %s", row)
		}
	}
}
