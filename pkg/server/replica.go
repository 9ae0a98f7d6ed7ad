package server

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/store"
)

// replication is what an instance reading a hot standby
// (HEXWATCH_PRIMARY_DATABASE_URL set: store.DB.UsePrimary) knows of its replication, checked
// every replicationEvery: whether its data are current, and as of when.
type replication struct {
	on    bool
	state atomic.Pointer[store.Replication]
}

const replicationEvery = 250 * time.Millisecond

// WatchReplication checks, until ctx ends, whether the standby that an
// instance reading one (store.DB.UsePrimary) answers from is current.
func (s *Server) WatchReplication(ctx context.Context) {
	if s.replication.on {
		s.replication.watch(ctx, s.db)
	}
}

func (r *replication) watch(ctx context.Context, db *store.DB) {
	t := time.NewTicker(replicationEvery)
	defer t.Stop()
	for {
		checkCtx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := db.Replication(checkCtx)
		cancel()
		if err == nil {
			r.state.Store(&st)
		} else {
			r.state.Store(&store.Replication{PrimaryErr: err})
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// stale says whether the answers of the instance may miss changes, and
// why; false when it does not read a standby.
func (r *replication) stale() (bool, *store.Replication) {
	if !r.on {
		return false, nil
	}
	st := r.state.Load()
	return st == nil || !st.Streaming, st
}

// staleHeader is set on every answer of an instance reading a standby that
// does not receive the primary's changes: the answer is what the standby
// held when they stopped.
const staleHeader = "Hexwatch-Stale"

// markStale sets staleHeader: "data as of <the last change applied>;
// <why>", the time for signed-in callers only (it times the primary's
// last write), "<why>" for anyone else.
func (s *Server) markStale(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if stale, st := s.replication.stale(); stale {
			c.Response().Before(func() {
				v := staleReason(st)
				if principal(c) != nil {
					v = staleness(st)
				}
				c.Response().Header().Set(staleHeader, v)
			})
		}
		return next(c)
	}
}

// staleness says, in staleHeader's words, how stale a standby is.
func staleness(st *store.Replication) string {
	asOf := "unknown"
	if st != nil && st.ReplayedAt != nil {
		asOf = st.ReplayedAt.UTC().Format(time.RFC3339)
	}
	return "data as of " + asOf + "; " + staleReason(st)
}

// staleReason is why a standby is stale.
func staleReason(st *store.Replication) string {
	switch {
	case st == nil:
		return "replication not yet checked"
	case st.PrimaryErr != nil:
		return "the primary does not answer"
	}
	return "the standby is not receiving the primary's changes"
}
