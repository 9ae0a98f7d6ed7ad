package hotspot

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/paulmach/orb"
	"golang.org/x/sync/errgroup"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/stats"
)

// Fact is what scoring needs of one live report.
type Fact struct {
	ID         uuid.UUID
	Cell       hexgrid.Cell // at hexgrid.StoreRes
	ObservedAt time.Time
	Category   string
	AgencyID   uuid.UUID
	Grading    intel.Grading
	// Sensitive is true for OFFICIAL-SENSITIVE reports.
	Sensitive bool
	// Corroborated: another agency's counted report is near in space and time.
	Corroborated bool
	// Key is the report's record key for the cell-key perturbation of the
	// published view.
	Key uint32
	// CountedAt is when the report began to count: a release counts the
	// reports counted before its cut-off.
	CountedAt time.Time
	// Cells hold the report at each resolution; zero ones are taken as
	// the parents of Cell. Spread shares its weight out at the
	// resolutions finer than its precision (see intel.Report).
	Cells  hexgrid.Cells
	Spread []hexgrid.Share
}

// Agency is a reporting agency, as hotspot explanations name it.
type Agency struct {
	ID   uuid.UUID
	Name string
	Kind string
}

// fact is a Fact packed for the scoring loop: 80 bytes, fields ordered
// so that only the last four pad, and no pointer, so the collector never scans the
// blocks of facts.
type fact struct {
	at   int64   // observed_at, µs since the epoch
	w    float64 // harm × q
	week int32   // the start of the week of at (Monday, Europe/London), minutes since the epoch
	key  uint32
	// counted is when the report began to count, minutes since the epoch
	// (rounded down: a release's cut-off is on a whole minute).
	counted int32
	idx     [nRes]int32 // study-cell index at each resolution, -1 outside
	// spread, when not 0, is 1 + the index in Engine.spreads of the
	// portions that share the weight out at the resolutions in spreadRes
	// (bit i for resolution index i); the report still counts in idx.
	spread    uint32
	id        uuid.UUID
	cat       uint8
	source    uint8
	assess    uint8 // 1 (A) to 5 (E)
	sens      bool
	corr      bool
	spreadRes uint8
	agency    uint16
}

// weekMicros is the start of x's week in µs since the epoch.
func (x *fact) weekMicros() int64 { return int64(x.week) * int64(time.Minute/time.Microsecond) }

const nRes = hexgrid.MaxRes - hexgrid.MinRes + 1

// portion is a part of a report's weight in a study cell (8 bytes: the
// weight is single precision, as stored).
type portion struct {
	idx int32
	w   float32
}

// chunkBits sizes the chunks of a portionStore: 2^16 portions (512 KiB),
// as many as one spread may have.
const chunkBits = 16

// portionStore holds portions in chunks of 2^chunkBits: growing never
// copies what it holds (loading leaves no garbage the size of every
// spread), and each spread lies within one chunk, from a base that
// numbers the chunk in its high bits.
type portionStore struct {
	chunks [][]portion
	n      int // portions held
}

// start returns the base of a new spread of at most n portions.
func (ps *portionStore) start(n int) (uint32, bool) {
	k := len(ps.chunks) - 1
	if k < 0 || len(ps.chunks[k])+n > 1<<chunkBits {
		if len(ps.chunks) == 1<<(32-chunkBits) {
			return 0, false
		}
		ps.chunks = append(ps.chunks, make([]portion, 0, 1<<chunkBits))
		k++
	}
	return uint32(k<<chunkBits | len(ps.chunks[k])), true
}

// add appends portions to the spread started last.
func (ps *portionStore) add(p ...portion) {
	k := len(ps.chunks) - 1
	ps.chunks[k] = append(ps.chunks[k], p...)
	ps.n += len(p)
}

// slice is the portions from base+lo to base+hi.
func (ps *portionStore) slice(base uint32, lo, hi uint16) []portion {
	o := base & (1<<chunkBits - 1)
	return ps.chunks[base>>chunkBits][o+uint32(lo) : o+uint32(hi)]
}

// cut takes back the spread started last, at base.
func (ps *portionStore) cut(base uint32) {
	k, o := base>>chunkBits, int(base&(1<<chunkBits-1))
	ps.n -= len(ps.chunks[k]) - o
	ps.chunks[k] = ps.chunks[k][:o]
}

// spreadSet is where a fact's portions lie in Engine.portions: those at
// resolution index i are from base+off[i] to base+off[i+1].
type spreadSet struct {
	base uint32
	off  [nRes + 1]uint16
}

// spreadAt is fact x's portions at resolution index i, or nil when its
// weight goes whole to the cell that holds it.
func (e *Engine) spreadAt(x *fact, i int) []portion {
	if x.spreadRes&(1<<i) == 0 {
		return nil
	}
	s := &e.spreads[x.spread-1]
	return e.portions.slice(s.base, s.off[i], s.off[i+1])
}

// addSpread keeps the portions of one fact, by resolution index, and
// returns its fact.spread.
func (e *Engine) addSpread(s spreadSet) uint32 {
	if n := len(e.freeSets); n > 0 {
		k := e.freeSets[n-1]
		e.freeSets = e.freeSets[:n-1]
		e.spreads[k-1] = s
		return k
	}
	e.spreads = append(e.spreads, s)
	return uint32(len(e.spreads))
}

// dropSpread lets a fact's portions go; compactSpreads takes their room
// back.
func (e *Engine) dropSpread(k uint32) {
	if k == 0 {
		return
	}
	e.dropped += int(e.spreads[k-1].off[nRes])
	e.spreads[k-1] = spreadSet{}
	e.freeSets = append(e.freeSets, k)
}

// compactSpreads lays the spreads out again once more than half of the
// portions are dropped ones; only between changes.
func (e *Engine) compactSpreads() {
	if e.dropped <= 1<<16 || 2*e.dropped <= e.portions.n {
		return
	}
	e.layoutSpreads()
}

// layoutSpreads copies the spreads of the facts held, and their portions,
// in the order queries read them (block by block in time, fact by fact),
// so that a query walks the portions as it walks the facts instead of
// jumping to the place each was loaded at; dropped ones are left behind.
// Only between changes, when every spread kept belongs to a fact held.
func (e *Engine) layoutSpreads() {
	spreads := make([]spreadSet, 0, len(e.spreads)-len(e.freeSets))
	var portions portionStore
	for _, k := range e.keys {
		b := e.blocks[k]
		for i := range b {
			x := &b[i]
			if x.spread == 0 {
				continue
			}
			s := e.spreads[x.spread-1]
			ps := e.portions.slice(s.base, 0, s.off[nRes])
			s.base, _ = portions.start(len(ps)) // never more chunks than held before
			portions.add(ps...)
			spreads = append(spreads, s)
			x.spread = uint32(len(spreads))
		}
	}
	e.spreads, e.portions, e.freeSets, e.dropped = spreads, portions, nil, 0
}

// study is the study area at one resolution.
type study struct {
	res   int
	cells []hexgrid.Cell
	index map[hexgrid.Cell]int32
	nb    map[int]*neighbours // by ring radius k, built on first use
}

// blockSpan is the stretch of observation time one block of facts covers
// (28 days, in µs): a query reads only the blocks its window overlaps.
const blockSpan = int64(28 * 24 * time.Hour / time.Microsecond)

// blockOf is the block of a fact observed at µs t (int32 holds every
// block of ±2^63 µs).
func blockOf(t int64) int32 {
	k := t / blockSpan
	if t < 0 && t%blockSpan != 0 {
		k--
	}
	return int32(k)
}

// place is where a fact is held: its block and its index there.
type place struct {
	block int32
	i     int32
}

// Engine holds the scoring facts of every live report and answers hotspot
// queries. It is safe for concurrent use.
type Engine struct {
	mu      sync.RWMutex
	studies [nRes]*study
	// blocks holds the facts by blockOf their time; keys lists the blocks
	// in time order.
	blocks    map[int32][]fact
	keys      []int32
	pos       map[uuid.UUID]place
	agencies  []Agency
	agencyIdx map[uuid.UUID]uint16
	version   int64
	nbMu      sync.Mutex
	// spreads and portions hold the facts' spreads (fact.spread);
	// freeSets are the indexes of spreads dropped, dropped the number of
	// portions no fact uses.
	spreads  []spreadSet
	portions portionStore
	freeSets []uint32
	dropped  int
}

// ErrUnknownCell means a cell outside the study area was asked for.
var ErrUnknownCell = errors.New("hotspot: cell outside the study area")

// New builds an engine over the study area covering area.
func New(area orb.MultiPolygon) (*Engine, error) {
	e := &Engine{blocks: map[int32][]fact{}, pos: map[uuid.UUID]place{}, agencyIdx: map[uuid.UUID]uint16{}}
	// The finest resolution costs most; the others are covered beside it.
	var g errgroup.Group
	for i := range e.studies {
		g.Go(func() error {
			res := hexgrid.MinRes + i
			cells, err := hexgrid.Cover(area, res)
			if err != nil {
				return err
			}
			st := &study{res: res, cells: cells, index: make(map[hexgrid.Cell]int32, len(cells)), nb: map[int]*neighbours{}}
			for j, c := range cells {
				st.index[c] = int32(j)
			}
			e.studies[i] = st
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return e, nil
}

// Version is the data version the engine holds: the highest change
// sequence applied.
func (e *Engine) Version() int64 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.version
}

// Len is the number of facts held.
func (e *Engine) Len() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.pos)
}

// Change is one change to the facts: a report to hold (Live) or to drop.
type Change struct {
	Fact Fact
	Live bool
}

// Apply applies changes in order and records version as the data version.
func (e *Engine) Apply(changes []Change, agencies []Agency, version int64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, a := range agencies {
		if _, ok := e.agencyIdx[a.ID]; !ok {
			if len(e.agencies) >= math.MaxUint16 {
				return errors.New("hotspot: too many agencies")
			}
			e.agencyIdx[a.ID] = uint16(len(e.agencies))
			e.agencies = append(e.agencies, a)
		}
	}
	for _, ch := range changes {
		at, held := e.pos[ch.Fact.ID]
		if !ch.Live {
			if held {
				e.remove(at)
			}
			continue
		}
		f, err := e.pack(ch.Fact)
		if err != nil {
			return err
		}
		switch {
		case held && at.block == blockOf(f.at):
			e.dropSpread(e.blocks[at.block][at.i].spread)
			e.blocks[at.block][at.i] = f
		case held:
			e.remove(at)
			e.insert(f)
		default:
			e.insert(f)
		}
	}
	e.compactSpreads()
	e.version = max(e.version, version)
	return nil
}

func (e *Engine) insert(f fact) {
	k := blockOf(f.at)
	b, ok := e.blocks[k]
	if !ok {
		i, _ := slices.BinarySearch(e.keys, k)
		e.keys = slices.Insert(e.keys, i, k)
	}
	e.pos[f.id] = place{k, int32(len(b))}
	e.blocks[k] = append(b, f)
}

func (e *Engine) remove(at place) {
	b := e.blocks[at.block]
	last := int32(len(b) - 1)
	delete(e.pos, b[at.i].id)
	e.dropSpread(b[at.i].spread)
	if at.i != last {
		b[at.i] = b[last]
		e.pos[b[at.i].id] = at
	}
	e.blocks[at.block] = b[:last]
}

// window lists the blocks of facts that may hold facts observed from
// from to asOf (µs), in time order.
func (e *Engine) window(from, asOf int64) [][]fact {
	lo, _ := slices.BinarySearch(e.keys, blockOf(from))
	var out [][]fact
	for _, k := range e.keys[lo:] {
		if k > blockOf(asOf) {
			break
		}
		if b := e.blocks[k]; len(b) > 0 {
			out = append(out, b)
		}
	}
	return out
}

var categoryIdx = func() map[string]uint8 {
	m := map[string]uint8{}
	for i, c := range intel.Categories {
		m[c.Code] = uint8(i)
	}
	return m
}()

func (e *Engine) pack(f Fact) (fact, error) {
	cat, ok := categoryIdx[f.Category]
	if !ok {
		return fact{}, fmt.Errorf("hotspot: unknown category %q", f.Category)
	}
	ag, ok := e.agencyIdx[f.AgencyID]
	if !ok {
		return fact{}, fmt.Errorf("hotspot: unknown agency %s", f.AgencyID)
	}
	p := fact{
		at: f.ObservedAt.UnixMicro(), w: intel.Categories[cat].Weight * f.Grading.Confidence(),
		cat: cat, source: uint8(f.Grading.Source), assess: uint8(intel.AssessmentRank(f.Grading.Assessment)),
		agency: ag, sens: f.Sensitive, corr: f.Corroborated, id: f.ID, key: f.Key, week: int32(WeekStart(f.ObservedAt).Unix() / 60),
		counted: int32(f.CountedAt.Unix() / 60),
	}
	for i, st := range e.studies {
		p.idx[i] = -1
		c := f.Cells[i]
		if c == 0 {
			c = f.Cell.Parent(st.res)
		}
		if j, ok := st.index[c]; ok {
			p.idx[i] = j
		}
	}
	if len(f.Spread) > 0 {
		p.spread, p.spreadRes = e.keepSpread(f.Spread)
	}
	return p, nil
}

// keepSpread appends a report's shares in the study area to e.portions,
// by resolution, and returns its fact.spread and fact.spreadRes (0, 0 when
// none lies in the study area). Shares come by resolution, coarsest first,
// as hexgrid.Spreader makes them; others are sorted first.
func (e *Engine) keepSpread(shares []hexgrid.Share) (uint32, uint8) {
	byRes := func(a, b hexgrid.Share) int { return a.Cell.Resolution() - b.Cell.Resolution() }
	if !slices.IsSortedFunc(shares, byRes) {
		shares = slices.SortedStableFunc(slices.Values(shares), byRes)
	}
	if len(shares) > math.MaxUint16 {
		return 0, 0 // past what spreadSet can index: the weight stays whole in the cell that holds it
	}
	base, ok := e.portions.start(len(shares))
	if !ok {
		return 0, 0
	}
	s := spreadSet{base: base}
	var mask uint8
	n := 0
	for _, sh := range shares {
		i := sh.Cell.Resolution() - hexgrid.MinRes
		if i < 0 || i >= nRes {
			continue
		}
		// A share outside the study area is lost, as a report outside it is.
		j, ok := e.studies[i].index[sh.Cell]
		if !ok {
			continue
		}
		e.portions.add(portion{j, float32(sh.Weight)})
		n++
		mask |= 1 << i
		for k := i + 1; k <= nRes; k++ {
			s.off[k] = uint16(n)
		}
	}
	if mask == 0 {
		e.portions.cut(base)
		return 0, 0
	}
	return e.addSpread(s), mask
}

// Trim gives back the room the engine's tables grew into as facts came
// one at a time, and lays the spreads out in the order queries read them:
// after a load, each block of facts, the index of their places and the
// spreads are copied once at their size.
func (e *Engine) Trim() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.layoutSpreads()
	for k, b := range e.blocks {
		if cap(b) > len(b)+len(b)/16 {
			e.blocks[k] = slices.Clone(b)
		}
	}
	pos := make(map[uuid.UUID]place, len(e.pos))
	maps.Copy(pos, e.pos)
	e.pos = pos
}

// neighbours lists, for every study cell, the other study cells of its
// disk, in compressed rows: the disk of i is i and idx[off[i]:off[i+1]].
type neighbours struct {
	off []int32
	idx []int32
}

// giStar is the Gi* z-score of cell i over the values x of every study
// cell, of mean and S as moments gives them.
func (nb *neighbours) giStar(x []float64, i int, mean, s float64) float64 {
	local := x[i]
	js := nb.idx[nb.off[i]:nb.off[i+1]]
	for _, j := range js {
		local += x[j]
	}
	return stats.GiZ(local, mean, s, len(js)+1, len(x))
}

// neighbours returns the disks of radius k of the study at res, building
// them on first use.
func (e *Engine) neighbours(st *study, k int) *neighbours {
	e.nbMu.Lock()
	defer e.nbMu.Unlock()
	if nb, ok := st.nb[k]; ok {
		return nb
	}
	// A disk of radius k holds 3k(k+1) cells around its centre: held at
	// once, not grown.
	nb := &neighbours{off: make([]int32, 1, len(st.cells)+1), idx: make([]int32, 0, len(st.cells)*3*k*(k+1))}
	for i, c := range st.cells {
		disk, err := c.Disk(k)
		if err != nil {
			// Only pentagon distortion fails; none lies in a service area on land.
			disk = nil
		}
		for _, d := range disk {
			if j, ok := st.index[d]; ok && j != int32(i) {
				nb.idx = append(nb.idx, j)
			}
		}
		nb.off = append(nb.off, int32(len(nb.idx)))
	}
	st.nb[k] = nb
	return nb
}

// StudyCells is the number of cells of the study area at res.
func (e *Engine) StudyCells(res int) int { return len(e.studies[res-hexgrid.MinRes].cells) }

// Agencies lists the agencies the engine knows.
func (e *Engine) Agencies() []Agency {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return slices.Clone(e.agencies)
}

// Span is the time of the oldest and the newest fact held; ok is false
// when none is.
func (e *Engine) Span() (first, last time.Time, ok bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	blocks := e.window(math.MinInt64, math.MaxInt64)
	if len(blocks) == 0 {
		return first, last, false
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, x := range blocks[0] {
		lo = min(lo, x.at)
	}
	for _, x := range blocks[len(blocks)-1] {
		hi = max(hi, x.at)
	}
	return time.UnixMicro(lo).UTC(), time.UnixMicro(hi).UTC(), true
}

// Warm builds the ring-k neighbourhoods of every resolution now, so that
// no query pays for them.
func (e *Engine) Warm(k int) {
	for _, st := range e.studies {
		e.neighbours(st, k)
	}
}

// StudyArea lists the study cells at res.
func (e *Engine) StudyArea(res int) []hexgrid.Cell { return e.studies[res-hexgrid.MinRes].cells }

// InStudy reports whether cell c is a study cell of its resolution.
func (e *Engine) InStudy(c hexgrid.Cell) bool {
	r := c.Resolution()
	if r < hexgrid.MinRes || r > hexgrid.MaxRes {
		return false
	}
	_, ok := e.studies[r-hexgrid.MinRes].index[c]
	return ok
}
