// Package live keeps a hotspot engine in step with the reports table: it
// loads the engine, follows the change sequence (seq) and syncs before an
// answer whenever reports may have changed.
package live

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/paulmach/orb"

	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// Engine is a hotspot engine that follows a database. Sync before an
// answer reads the changes when this process wrote reports through the
// database since the last sync or is writing some now (read-your-writes:
// store.DB counts every write of reports, see ReportWrites), or when the
// last sync is older than Every (writes of other processes).
type Engine struct {
	*hotspot.Engine
	db *store.DB
	// Every is how stale an answer may be to writes of other processes.
	Every time.Duration

	mu   sync.Mutex    // held by a sync
	last atomic.Int64  // when the last sync began, ns since the epoch
	seen atomic.Uint64 // the writes ended when the last sync began
}

// DefaultEvery is Engine.Every unless set.
const DefaultEvery = 250 * time.Millisecond

// page is the number of changes read at a time.
const page = 20000

// New builds an engine over the study area covering area, empty until
// its first Sync.
func New(area orb.MultiPolygon, db *store.DB) (*Engine, error) {
	e, err := hotspot.New(area)
	if err != nil {
		return nil, err
	}
	return &Engine{Engine: e, db: db, Every: DefaultEvery}, nil
}

// Load reads every report and, meanwhile, builds the default
// neighbourhoods, so that no query pays for them.
func (e *Engine) Load(ctx context.Context) error {
	warmed := make(chan struct{})
	go func() {
		defer close(warmed)
		e.Warm(hotspot.DefaultK)
	}()
	err := e.sync(ctx, true)
	if err == nil {
		e.Trim()
	}
	<-warmed
	return err
}

// Sync brings the engine up to date with the database when reports may
// have changed since it last did.
func (e *Engine) Sync(ctx context.Context) error { return e.sync(ctx, false) }

// SyncNow reads every change committed so far, whoever wrote it.
func (e *Engine) SyncNow(ctx context.Context) error { return e.sync(ctx, true) }

func (e *Engine) stale() bool {
	ended, underWay := e.db.ReportWrites()
	return underWay || ended != e.seen.Load() || time.Since(time.Unix(0, e.last.Load())) >= e.Every
}

func (e *Engine) sync(ctx context.Context, always bool) error {
	if !always && !e.stale() {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// Another request may have synced while this one waited.
	if !always && !e.stale() {
		return nil
	}
	// Writes that end from here on are read by the next sync.
	seen, _ := e.db.ReportWrites()
	start := time.Now()
	if err := e.follow(ctx); err != nil {
		return err
	}
	e.seen.Store(seen)
	e.last.Store(start.UnixNano())
	return nil
}

// follow applies the changes after the engine's version, reading the
// next page while it applies one (a load reads every report).
func (e *Engine) follow(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		changes []store.ReportChange
		err     error
	}
	pages := make(chan result, 1)
	go func() {
		defer close(pages)
		after := e.Version()
		for {
			changes, more, err := e.db.ReportChanges(ctx, after, page)
			select {
			case pages <- result{changes, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || !more {
				return
			}
			for _, ch := range changes {
				after = max(after, ch.Seq)
			}
		}
	}()
	for p := range pages {
		if p.err != nil {
			return p.err
		}
		if len(p.changes) > 0 {
			if err := e.apply(ctx, p.changes); err != nil {
				return err
			}
		}
	}
	// A reader stopped by the request's end may not have said why: the
	// sync did not finish, and must not be taken for one that did.
	return ctx.Err()
}

func (e *Engine) apply(ctx context.Context, changes []store.ReportChange) error {
	known := map[uuid.UUID]bool{}
	for _, a := range e.Agencies() {
		known[a.ID] = true
	}
	var agencies []hotspot.Agency
	version := int64(0)
	out := make([]hotspot.Change, len(changes))
	for i, ch := range changes {
		if ch.Live && !known[ch.AgencyID] && agencies == nil {
			as, err := e.db.Agencies(ctx)
			if err != nil {
				return err
			}
			for _, a := range as {
				agencies = append(agencies, hotspot.Agency{ID: a.ID, Name: a.Name, Kind: a.Kind})
			}
		}
		out[i] = hotspot.Change{Live: ch.Live, Fact: hotspot.Fact{
			ID: ch.ID, Cell: ch.Cell, ObservedAt: ch.ObservedAt, Category: ch.Category, AgencyID: ch.AgencyID, Grading: ch.Grading,
			Sensitive: ch.Sensitive, Corroborated: ch.Corroborated, Key: ch.Key, Cells: ch.Cells, Spread: ch.Spread, CountedAt: ch.CountedAt,
		}}
		version = max(version, ch.Seq)
	}
	return e.Engine.Apply(out, agencies, version)
}
