// Package concern is what the public "Report a concern" page needs apart
// from the store: the proof-of-work puzzle each concern carries, the
// sealing of the contact details a member of the public chose to give,
// the limits on one address, and the form's plain words and what they
// mean in the taxonomy.
package concern

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math/bits"
	"strconv"
	"time"
)

// A nonce is issued by the server and signed, so that issuing one costs no
// storage; it is accepted once (the store keeps the hash of each spent one
// until it expires) and only before it expires. A concern carries a
// solution: a decimal number s such that SHA-256(nonce ":" s) begins with
// the nonce's difficulty of zero bits, which takes 2^difficulty hashes on
// average to find and one to check.

// NonceTTL is how long a nonce may be used after it is issued: long
// enough to write a concern, short enough that solutions cannot be
// stockpiled.
const NonceTTL = time.Hour

const (
	nonceVersion = 1
	// payload: version, difficulty, issued (unix seconds), 16 random bytes.
	payloadLen = 1 + 1 + 8 + 16
	macLen     = 16
)

// The reasons a proof of work is refused.
var (
	ErrNoProof   = errors.New("no proof of work: ask GET /api/v1/concerns/nonce for a nonce and solve it")
	ErrBadNonce  = errors.New("the nonce is not one this server issued")
	ErrStale     = errors.New("the nonce has expired: ask for a new one")
	ErrTooEasy   = errors.New("the nonce's difficulty is below the one now asked: ask for a new one")
	ErrUnsolved  = errors.New("the solution does not solve the nonce")
	ErrNonceUsed = errors.New("the nonce was used already: ask for a new one")
)

// Puzzles issues and checks nonces.
type Puzzles struct {
	key []byte
	// Difficulty is the number of leading zero bits a solution's hash needs.
	Difficulty int
	Now        func() time.Time
}

// NewPuzzles signs nonces with a key derived from secret.
func NewPuzzles(secret []byte, difficulty int) *Puzzles {
	return &Puzzles{key: derive(secret, "concern nonce"), Difficulty: difficulty, Now: time.Now}
}

// derive is a key of its own for one purpose of secret.
func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// Nonce is an issued puzzle.
type Nonce struct {
	Nonce      string    `json:"nonce"`
	Difficulty int       `json:"difficulty"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// Issue is a new nonce at the current difficulty.
func (p *Puzzles) Issue() Nonce { return p.IssueAt(p.Now()) }

// IssueAt is a nonce issued at t (tests make stale ones with it).
func (p *Puzzles) IssueAt(t time.Time) Nonce {
	b := make([]byte, payloadLen, payloadLen+macLen)
	b[0], b[1] = nonceVersion, byte(p.Difficulty)
	binary.BigEndian.PutUint64(b[2:10], uint64(t.Unix()))
	_, _ = rand.Read(b[10:payloadLen])
	b = append(b, p.mac(b)...)
	return Nonce{Nonce: base64.RawURLEncoding.EncodeToString(b), Difficulty: p.Difficulty, ExpiresAt: t.Add(NonceTTL).UTC().Truncate(time.Second)}
}

func (p *Puzzles) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write(payload)
	return m.Sum(nil)[:macLen]
}

// Check verifies a solution of nonce. On success it returns what the store
// keeps to refuse the nonce a second time, and until when.
func (p *Puzzles) Check(nonce, solution string) (spent []byte, expires time.Time, err error) {
	if nonce == "" || solution == "" {
		return nil, time.Time{}, ErrNoProof
	}
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != payloadLen+macLen || b[0] != nonceVersion || !hmac.Equal(p.mac(b[:payloadLen]), b[payloadLen:]) {
		return nil, time.Time{}, ErrBadNonce
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(b[2:10])), 0)
	now := p.Now()
	if expires = issued.Add(NonceTTL); !now.Before(expires) || issued.After(now.Add(time.Minute)) {
		return nil, time.Time{}, ErrStale
	}
	if int(b[1]) < p.Difficulty {
		return nil, time.Time{}, ErrTooEasy
	}
	if len(solution) > 20 {
		return nil, time.Time{}, ErrUnsolved
	}
	if _, err := strconv.ParseUint(solution, 10, 64); err != nil || ZeroBits(nonce, solution) < int(b[1]) {
		return nil, time.Time{}, ErrUnsolved
	}
	h := sha256.Sum256(b)
	return h[:], expires, nil
}

// ZeroBits is the number of leading zero bits of SHA-256(nonce ":" solution).
func ZeroBits(nonce, solution string) int {
	return leadingZeros(sha256.Sum256([]byte(nonce + ":" + solution)))
}

// Solve finds the smallest solution of nonce at difficulty, as the page
// does: what a script pays for each concern.
func Solve(nonce string, difficulty int) string {
	buf := make([]byte, 0, len(nonce)+21)
	buf = append(buf, nonce...)
	buf = append(buf, ':')
	for s := uint64(0); ; s++ {
		h := sha256.Sum256(strconv.AppendUint(buf, s, 10))
		if leadingZeros(h) >= difficulty {
			return strconv.FormatUint(s, 10)
		}
	}
}

func leadingZeros(h [32]byte) int {
	n := 0
	for i := 0; i < len(h); i += 8 {
		w := binary.BigEndian.Uint64(h[i:])
		n += bits.LeadingZeros64(w)
		if w != 0 {
			break
		}
	}
	return n
}
