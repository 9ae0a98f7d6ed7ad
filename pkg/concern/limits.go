package concern

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Limits counts the concerns accepted from each address over the last
// hour and day, and remembers for a day what each address sent, so the
// same text is stored once. It holds no address: only keyed hashes, under
// a key drawn when the process starts and never stored, so its state
// cannot be linked to anyone after a restart. State is per process: run
// one server behind the public page (README).
type Limits struct {
	PerHour, PerDay int
	key             []byte

	mu   sync.Mutex
	sent map[string][]time.Time // address key → acceptances in the last day, oldest first
	seen map[string]remembered  // address and text key → the reference given
	next time.Time              // when to drop what is older than a day
}

type remembered struct {
	ref string
	at  time.Time
}

// NewLimits allows perHour concerns an hour and perDay a day per address.
func NewLimits(perHour, perDay int) *Limits {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &Limits{PerHour: perHour, PerDay: perDay, key: key, sent: map[string][]time.Time{}, seen: map[string]remembered{}}
}

// addressKey is addr's key: an IPv6 address counts by its /64, which one
// subscriber holds whole.
func (l *Limits) addressKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err == nil {
		a = a.Unmap()
		if a.Is6() {
			p, _ := a.Prefix(64)
			a = p.Addr()
		}
		addr = a.String()
	}
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(addr))
	return string(m.Sum(nil))
}

// textKey is the key of what addr sent: its words, case and spacing aside.
func (l *Limits) textKey(addrKey, text string) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(addrKey))
	m.Write([]byte{0})
	m.Write([]byte(strings.Join(strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	}), " ")))
	return string(m.Sum(nil))
}

// Admit decides about a concern of text from addr at now, to be given
// reference ref: the reference given to the same text from the same
// address in the last day (stored once), or how long to wait when the
// address is over a limit, or neither, when it may be stored. Then the
// concern is counted at once, so that requests sent together cannot all
// pass; Release takes it back when it was not stored after all.
func (l *Limits) Admit(addr, text, ref string, now time.Time) (prev string, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expire(now)
	ak := l.addressKey(addr)
	tk := l.textKey(ak, text)
	if r, ok := l.seen[tk]; ok && now.Sub(r.at) < 24*time.Hour {
		return r.ref, 0
	}
	if day := within(l.sent[ak], now, 24*time.Hour); len(day) >= l.PerDay {
		retryAfter = day[len(day)-l.PerDay].Add(24 * time.Hour).Sub(now)
	}
	if hour := within(l.sent[ak], now, time.Hour); len(hour) >= l.PerHour {
		retryAfter = max(retryAfter, hour[len(hour)-l.PerHour].Add(time.Hour).Sub(now))
	}
	if retryAfter > 0 {
		return "", retryAfter
	}
	l.sent[ak] = append(l.sent[ak], now)
	l.seen[tk] = remembered{ref, now}
	return "", 0
}

// within is the times of ts (oldest first) less than d before now.
func within(ts []time.Time, now time.Time, d time.Duration) []time.Time {
	for i, t := range ts {
		if now.Sub(t) < d {
			return ts[i:]
		}
	}
	return nil
}

// Release takes back what Admit counted of a concern admitted at at.
func (l *Limits) Release(addr, text string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ak := l.addressKey(addr)
	delete(l.seen, l.textKey(ak, text))
	ts := l.sent[ak]
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Equal(at) {
			l.sent[ak] = append(ts[:i:i], ts[i+1:]...)
			break
		}
	}
}

// expire drops, once a minute, what is older than a day.
func (l *Limits) expire(now time.Time) {
	if now.Before(l.next) {
		return
	}
	l.next = now.Add(time.Minute)
	for k, ts := range l.sent {
		i := 0
		for i < len(ts) && now.Sub(ts[i]) >= 24*time.Hour {
			i++
		}
		if i == len(ts) {
			delete(l.sent, k)
		} else {
			l.sent[k] = ts[i:]
		}
	}
	for k, r := range l.seen {
		if now.Sub(r.at) >= 24*time.Hour {
			delete(l.seen, k)
		}
	}
}
