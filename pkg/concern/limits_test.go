package concern

import (
	"testing"
	"time"
)

func TestLimits(t *testing.T) {
	l := NewLimits(5, 20)
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	// Five an hour, counted as they are admitted (requests sent together cannot all pass).
	for i := range 5 {
		if prev, wait := l.Admit("192.0.2.1", string(rune('a'+i)), "C-"+string(rune('a'+i)), t0); prev != "" || wait != 0 {
			t.Fatalf("concern %d: %q %v", i+1, prev, wait)
		}
	}
	if _, wait := l.Admit("192.0.2.1", "f", "C-f", t0.Add(10*time.Minute)); wait != 50*time.Minute {
		t.Errorf("the sixth in an hour waits %v, want 50m", wait)
	}
	// Another address, and the same /64 of IPv6.
	if _, wait := l.Admit("192.0.2.2", "f", "C-g", t0); wait != 0 {
		t.Errorf("another address waits %v", wait)
	}
	l.Admit("2001:db8:1:2::1", "x", "C-x", t0)
	if prev, _ := l.Admit("2001:db8:1:2:ffff::9", "x", "C-y", t0); prev != "C-x" {
		t.Errorf("the same /64 is another address: %q", prev)
	}
	// The same words, case and spacing aside: the first reference.
	if prev, _ := l.Admit("192.0.2.2", "  F!", "C-h", t0.Add(time.Hour)); prev != "C-g" {
		t.Errorf("the same words again: %q", prev)
	}
	// A released concern frees its place.
	l.Admit("192.0.2.3", "1", "C-1", t0)
	l.Release("192.0.2.3", "1", t0)
	if prev, wait := l.Admit("192.0.2.3", "1", "C-2", t0); prev != "" || wait != 0 {
		t.Errorf("after a release: %q %v", prev, wait)
	}
	// Day and hour both full: the longer wait.
	d := NewLimits(5, 5)
	for i := range 5 {
		d.Admit("192.0.2.9", string(rune('a'+i)), "r", t0.Add(time.Duration(i)*time.Minute))
	}
	if _, wait := d.Admit("192.0.2.9", "z", "r", t0.Add(10*time.Minute)); wait != 24*time.Hour-10*time.Minute {
		t.Errorf("both full: wait %v", wait)
	}
}
