package server

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// limiter gives every caller (API key, user, or address when anonymous)
// its own token bucket, so that one agency's system cannot starve another.
type limiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	*rate.Limiter
	seen time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{every: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}, swept: time.Now()}
}

// wait says how long the caller must wait before this request is allowed:
// zero to go ahead now.
func (l *limiter) wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > 10*time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{Limiter: rate.NewLimiter(l.every, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// callerKey names the bucket of the request's caller.
func callerKey(c echo.Context) string {
	if p := principal(c); p != nil {
		if p.KeyID != uuid.Nil {
			return "key:" + p.KeyID.String()
		}
		return "user:" + p.UserID.String()
	}
	return "ip:" + c.RealIP()
}

// rateLimit answers 429 with Retry-After to a caller over its rate.
// charge takes n more tokens from key's bucket, into debt if need be: the
// caller's next requests wait until it is paid off.
func (l *limiter) charge(key string, n int, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{Limiter: rate.NewLimiter(l.every, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	b.ReserveN(now, min(n, l.burst))
}

func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	if s.limits == nil {
		return next
	}
	return func(c echo.Context) error {
		if wait := s.limits.wait(callerKey(c), time.Now()); wait > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return newProblem(http.StatusTooManyRequests, "too many requests from this caller: slow down")
		}
		return next(c)
	}
}
