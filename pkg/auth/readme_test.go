package auth

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEShowsTheMatrix keeps README's permission table equal to Matrix.
func TestREADMEShowsTheMatrix(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z:-]+)`[^|]*\\|(.*)\\|$")
	seen := map[Permission]bool{}
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		perm := Permission(m[1])
		cells := strings.Split(m[2], "|")
		if len(cells) != len(Roles) {
			continue
		}
		seen[perm] = true
		for i, r := range Roles {
			got := strings.TrimSpace(cells[i]) == "yes"
			if got != r.Can(perm) {
				t.Errorf("README says %s %s %s: got %v, Matrix says %v", r, map[bool]string{true: "may", false: "may not"}[got], perm, got, r.Can(perm))
			}
		}
	}
	for _, perms := range Matrix {
		for _, p := range perms {
			if !seen[p] {
				t.Errorf("README's permission table lacks %s", p)
			}
		}
	}
}
