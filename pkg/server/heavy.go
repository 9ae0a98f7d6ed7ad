package server

import (
	"context"
	"errors"
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/hotspot"
)

// heavyWork bounds the hotspot computations run at once, whatever their
// callers: each is a pass over every fact of the window and a Gi* per
// period, and several at once could exhaust memory.
type heavyWork chan struct{}

// costUnit is the engine time one rate-limit token pays for: a caller's
// bucket is charged by what its queries cost, not by their number.
const costUnit = 20 * time.Millisecond

// compute runs f as one of the heavy computations allowed at once, waiting
// for a turn as long as the request may, and charges the caller's rate
// limit for the time it took.
func (s *Server) compute(c echo.Context, f func(ctx context.Context) error) error {
	ctx := c.Request().Context()
	select {
	case s.heavy <- struct{}{}:
	case <-ctx.Done():
		c.Response().Header().Set("Retry-After", "5")
		return newProblem(http.StatusServiceUnavailable, "the server is busy with other hotspot queries; try again shortly")
	}
	start := time.Now()
	// Deferred, so that a panic (recovered further out) gives the turn back.
	defer func() {
		<-s.heavy
		if s.limits != nil {
			if extra := int(math.Floor(float64(time.Since(start)) / float64(costUnit))); extra > 0 {
				s.limits.charge(callerKey(c), extra, time.Now())
			}
		}
	}()
	return f(ctx)
}

// busy reports whether err is compute's answer to a request that waited
// its whole deadline for a turn.
func busy(err error) bool {
	var p *Problem
	return errors.As(err, &p) && p.Status == http.StatusServiceUnavailable
}

// hotspots is the answer to query p: read from its release for the
// published view, computed by the live engine for the full one.
func (s *Server) hotspots(c echo.Context, p hotspot.Params, refund func()) (*hotspot.Result, error) {
	if p.Release != nil {
		t, err := s.releaseTable(c, p)
		if err != nil {
			return nil, err
		}
		return t.Result(p), nil
	}
	return s.computeHotspots(c, p, refund)
}

// computeHotspots answers p as one of the heavy computations, refunding
// the budget spent on it when the server was too busy.
func (s *Server) computeHotspots(c echo.Context, p hotspot.Params, refund func()) (*hotspot.Result, error) {
	var res *hotspot.Result
	err := s.compute(c, func(ctx context.Context) (err error) {
		res, err = s.engine.HotspotsContext(ctx, p)
		return err
	})
	if busy(err) {
		refund()
	}
	return res, err
}
