package concern

import (
	"strconv"
	"testing"
	"time"
)

func TestPuzzles(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	p := NewPuzzles(secret, 10)
	n := p.Issue()
	s := Solve(n.Nonce, n.Difficulty)
	if ZeroBits(n.Nonce, s) < 10 {
		t.Fatalf("Solve gave %s with %d zero bits", s, ZeroBits(n.Nonce, s))
	}
	spent, expires, err := p.Check(n.Nonce, s)
	if err != nil || len(spent) != 32 || time.Until(expires) > NonceTTL {
		t.Fatalf("a good solution: %v %v", err, expires)
	}
	// The same nonce gives the same spent hash: the store refuses the second.
	if again, _, _ := p.Check(n.Nonce, s); string(again) != string(spent) {
		t.Error("a nonce's spent hash changes")
	}
	harder := NewPuzzles(secret, 11)
	if _, _, err := harder.Check(n.Nonce, s); err != ErrTooEasy {
		t.Errorf("a nonce easier than asked: %v", err)
	}
	for name, tc := range map[string]struct {
		nonce, solution string
		want            error
	}{
		"empty":        {"", "", ErrNoProof},
		"garbage":      {"not a nonce", "1", ErrBadNonce},
		"tampered":     {n.Nonce[:10] + flip(n.Nonce[10]) + n.Nonce[11:], s, ErrBadNonce},
		"stale":        {p.IssueAt(time.Now().Add(-NonceTTL)).Nonce, "0", ErrStale},
		"future":       {p.IssueAt(time.Now().Add(time.Hour)).Nonce, "0", ErrStale},
		"not a number": {n.Nonce, "-" + s, ErrUnsolved},
		"too long":     {n.Nonce, "0000000000000000000000" + s, ErrUnsolved},
	} {
		if _, _, err := p.Check(tc.nonce, tc.solution); err != tc.want {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// BenchmarkHash is the cost of one hash of the puzzle in Go: a script's
// cost per concern is 2^difficulty of them on average.
func BenchmarkHash(b *testing.B) {
	n := NewPuzzles([]byte("0123456789abcdef0123456789abcdef"), 0).Issue()
	for i := 0; b.Loop(); i++ {
		ZeroBits(n.Nonce, strconv.Itoa(i))
	}
}

// BenchmarkSolve solves puzzles at the default difficulty, 18 bits.
func BenchmarkSolve(b *testing.B) {
	p := NewPuzzles([]byte("0123456789abcdef0123456789abcdef"), 18)
	for b.Loop() {
		n := p.Issue()
		Solve(n.Nonce, n.Difficulty)
	}
}
