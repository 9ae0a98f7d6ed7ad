package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/live"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// Grace is how long after its cut-off a release counts as computed on
// time; one computed later is marked late.
const Grace = time.Hour

// ErrNoRelease means no release of the week asked for is stored.
var ErrNoRelease = errors.New("release: no release of that week")

// Publisher computes the releases when they fall due and reads them.
type Publisher struct {
	db   *store.DB
	eng  *live.Engine
	menu Menu
	log  *slog.Logger
	// History is how many weeks back from the latest cut-off Run computes
	// the releases missing.
	History int
	// BufferRings is the radius, in rings of cells, of the buffer around a
	// location whose figures a release publishes.
	BufferRings int

	mu       sync.Mutex // guards releases, tables, order
	releases []store.Release
	listed   time.Time
	tables   map[tableKey]*Table
	order    []tableKey // oldest first, for eviction
	building sync.Mutex // one release computed at a time by this process
}

type tableKey struct {
	cutoff   int64
	res      int
	window   int
	category string
}

// cachedTables bounds the decoded tables kept.
const cachedTables = 256

// New is a publisher of menu's releases over eng's reports.
func New(db *store.DB, eng *live.Engine, menu Menu, log *slog.Logger) *Publisher {
	return &Publisher{db: db, eng: eng, menu: menu, log: log, History: 52, BufferRings: 2, tables: map[tableKey]*Table{}}
}

// Menu is the publisher's menu.
func (p *Publisher) Menu() Menu { return p.menu }

// Cutoff is the cut-off of the release in force at t: the Monday 00:00,
// Europe/London, of t's week.
func Cutoff(t time.Time) time.Time { return hotspot.WeekStart(t).UTC() }

// Publish computes and stores the release of cutoff, unless it is stored
// already (by this or another instance); now decides whether it is late.
func (p *Publisher) Publish(ctx context.Context, cutoff time.Time, now time.Time) error {
	cutoff = Cutoff(cutoff)
	if now.Before(cutoff) {
		return fmt.Errorf("release: the cut-off %s is still to come", cutoff.Format(time.RFC3339))
	}
	p.building.Lock()
	defer p.building.Unlock()
	if _, err := p.Release(ctx, cutoff); err == nil {
		return nil
	}
	// Every report counted before the cut-off, by any instance, is in the engine.
	if err := p.eng.SyncNow(ctx); err != nil {
		return err
	}
	start := time.Now()
	last := start
	tables, err := p.menu.Build(ctx, p.eng.Engine, cutoff, func(done, total int) {
		if time.Since(last) > 10*time.Second || done == total {
			p.log.Info("computing release", "cutoff", cutoff.Format(time.DateOnly), "tables", done, "of", total)
			last = time.Now()
		}
	})
	if err != nil {
		return err
	}
	locations, err := p.locations(ctx, cutoff)
	if err != nil {
		return err
	}
	menu, err := json.Marshal(p.menu)
	if err != nil {
		return err
	}
	// When the computation began, not ended: how long it took would tell
	// how many reports there are.
	r := store.Release{Cutoff: cutoff, ComputedAt: start.UTC(), Late: now.Sub(cutoff) > Grace, Menu: menu}
	err = p.db.CreateRelease(ctx, r, tables, locations, store.AuditEvent{Action: store.ActionCombine, Actor: "system:release"})
	if errors.Is(err, store.ErrReleaseExists) {
		err = nil
	}
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.listed = time.Time{}
	p.mu.Unlock()
	p.log.Info("release published", "cutoff", cutoff.Format(time.DateOnly), "late", r.Late, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// Settle is how long after a cut-off Run waits before computing its
// release, so that requests under way at the cut-off have committed
// (ordinary requests have HEXWATCH_REQUEST_TIMEOUT, 30 s by default; a
// bulk upload still running then counts in the next release).
const Settle = 2 * time.Minute

// retry is how soon Run tries again a release it failed to publish.
const retry = 5 * time.Minute

// Run publishes the release of the latest cut-off and those missing from
// the History weeks before it, the newest first, then each release as its
// cut-off comes, until ctx ends; one that fails is tried again.
func (p *Publisher) Run(ctx context.Context) {
	for {
		latest := Cutoff(time.Now().Add(-Settle))
		failed := false
		for w := 0; w <= p.History && ctx.Err() == nil; w++ {
			cutoff := Cutoff(latest.In(hotspot.London).AddDate(0, 0, -7*w).Add(12 * time.Hour))
			if err := p.Publish(ctx, cutoff, time.Now()); err != nil && ctx.Err() == nil {
				p.log.Error("release", "cutoff", cutoff.Format(time.DateOnly), "err", err)
				failed = true
			}
		}
		wait := time.Until(Cutoff(latest.In(hotspot.London).AddDate(0, 0, 7).Add(12 * time.Hour)).Add(Settle))
		if failed {
			wait = min(wait, retry)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// Releases lists the stored releases, oldest first (cached for a minute,
// so that releases other instances store are seen).
func (p *Publisher) Releases(ctx context.Context) ([]store.Release, error) {
	p.mu.Lock()
	if time.Since(p.listed) < time.Minute {
		defer p.mu.Unlock()
		return p.releases, nil
	}
	p.mu.Unlock()
	rs, err := p.db.Releases(ctx)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.releases, p.listed = rs, time.Now()
	return rs, nil
}

// Release is the stored release of cutoff, or ErrNoRelease.
func (p *Publisher) Release(ctx context.Context, cutoff time.Time) (store.Release, error) {
	rs, err := p.Releases(ctx)
	if err != nil {
		return store.Release{}, err
	}
	for _, r := range rs {
		if r.Cutoff.Equal(cutoff) {
			return r, nil
		}
	}
	// Not listed yet: another instance may have stored it within the minute.
	p.mu.Lock()
	p.listed = time.Time{}
	p.mu.Unlock()
	if rs, err = p.Releases(ctx); err != nil {
		return store.Release{}, err
	}
	for _, r := range rs {
		if r.Cutoff.Equal(cutoff) {
			return r, nil
		}
	}
	return store.Release{}, ErrNoRelease
}

// Table is the table of the release of cutoff for res, window and category.
func (p *Publisher) Table(ctx context.Context, cutoff time.Time, res int, window time.Duration, category string) (*Table, error) {
	k := tableKey{cutoff: cutoff.Unix(), res: res, window: int(window / (24 * time.Hour)), category: category}
	p.mu.Lock()
	t, ok := p.tables[k]
	p.mu.Unlock()
	if ok {
		return t, nil
	}
	if _, err := p.Release(ctx, cutoff); err != nil {
		return nil, err
	}
	body, err := p.db.ReleaseTableBody(ctx, cutoff, res, k.window, category)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoRelease
	}
	if err != nil {
		return nil, err
	}
	if t, err = Decode(body); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.tables[k]; !ok {
		p.tables[k] = t
		p.order = append(p.order, k)
		if len(p.order) > cachedTables {
			delete(p.tables, p.order[0])
			p.order = p.order[1:]
		}
	}
	return t, nil
}

// locations are the figures of every location's area in force at cutoff.
func (p *Publisher) locations(ctx context.Context, cutoff time.Time) ([]store.ReleaseLocation, error) {
	areas, err := p.db.LocationAreasAt(ctx, cutoff)
	if err != nil {
		return nil, err
	}
	out := make([]store.ReleaseLocation, 0, len(areas))
	if len(areas) == 0 {
		return out, nil
	}
	salt, err := p.db.ReleaseSalt(ctx)
	if err != nil {
		return nil, err
	}
	weeks := map[int]*hotspot.CellWeeks{}
	for _, a := range areas {
		cw := weeks[a.Res]
		if cw == nil {
			if cw, err = LocationCells(ctx, p.eng.Engine, cutoff, a.Res, salt); err != nil {
				return nil, err
			}
			weeks[a.Res] = cw
		}
		l, err := ComputeLocation(p.eng.Engine, cw, cutoff, a, p.BufferRings, p.menu.K)
		if err != nil {
			return nil, err
		}
		body, err := encode(l)
		if err != nil {
			return nil, err
		}
		out = append(out, store.ReleaseLocation{Cutoff: cutoff, LocationID: a.LocationID, Version: a.Version, Body: body})
	}
	return out, nil
}

// Location is the figures of location id in the latest release whose
// cut-off is at or before atMost; ErrNoRelease when there is none.
func (p *Publisher) Location(ctx context.Context, id uuid.UUID, atMost time.Time) (*Location, error) {
	r, err := p.db.ReleaseLocationBody(ctx, id, atMost)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoRelease
	}
	if err != nil {
		return nil, err
	}
	var l Location
	if err := decode(r.Body, &l); err != nil {
		return nil, err
	}
	return &l, nil
}
