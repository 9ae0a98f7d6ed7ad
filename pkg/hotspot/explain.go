package hotspot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// Explanation is why a cell scores what it does.
type Explanation struct {
	Cell CellScore
	// Score splits: each sums to the cell's score.
	ByCategory   map[string]float64
	ByAgencyKind map[string]float64
	ByGrading    map[string]float64 // "2B": source 2, assessment B
	ByAge        []Band
	Weeks        []Week
	Agencies     []AgencyShare
	Neighbours   []Neighbour
}

// Band is the share of the score of reports of one age.
type Band struct {
	Label   string  `json:"label"`
	Reports int     `json:"reports"`
	Score   float64 `json:"score"`
}

// Week is one week of the window, oldest first: its reports and their
// share of the score.
type Week struct {
	Start   time.Time
	Reports int
	Score   float64
}

// AgencyShare is one reporting agency's part in the cell.
type AgencyShare struct {
	Agency  Agency
	Reports int
	Score   float64
}

// Neighbour is a cell of the ring around the explained one.
type Neighbour struct {
	Cell    hexgrid.Cell
	Reports int
	Score   float64
}

var ageBands = []struct {
	label string
	upTo  time.Duration
}{
	{"last 7 days", 7 * 24 * time.Hour},
	{"8 to 28 days", 28 * 24 * time.Hour},
	{"29 to 90 days", 90 * 24 * time.Hour},
	{"91 to 365 days", 365 * 24 * time.Hour},
	{"older", time.Duration(1<<63 - 1)},
}

// Explain returns the explanation of cell c (at p.Res) for query p; it
// stops with ctx's error when ctx ends.
func (e *Engine) Explain(ctx context.Context, p Params, c hexgrid.Cell) (*Explanation, error) {
	st, target, byCell, err := e.around(ctx, p, c)
	if err != nil {
		return nil, err
	}

	ex := &Explanation{Cell: CellScore{Cell: c, Categories: map[string]int{}}, ByCategory: map[string]float64{},
		ByAgencyKind: map[string]float64{}, ByGrading: map[string]float64{}}
	if rc, ok := byCell[c]; ok {
		ex.Cell = rc
	}
	for _, b := range ageBands {
		ex.ByAge = append(ex.ByAge, Band{Label: b.label})
	}
	weeks := int(p.AsOf.Sub(p.From)/(7*24*time.Hour)) + 1
	for w := range weeks {
		ex.Weeks = append(ex.Weeks, Week{Start: p.AsOf.Add(-time.Duration(weeks-w) * 7 * 24 * time.Hour)})
	}

	e.mu.RLock()
	f := e.compile(p)
	shares := map[uint16]*AgencyShare{}
	for _, block := range e.window(f.from, f.asOf) {
		for i := range block {
			x := &block[i]
			if !f.keep(x) {
				continue
			}
			// The report's share of the cell's score, and whether the
			// cell holds it (and so counts it).
			held := x.idx[f.resIdx] == target
			share := 0.0
			if ps := e.spreadAt(x, f.resIdx); ps != nil {
				for _, p := range ps {
					if p.idx == target {
						share = float64(p.w)
					}
				}
			} else if held {
				share = 1
			}
			if !held && share == 0 {
				continue
			}
			n := 0
			if held {
				n = 1
			}
			s := x.w * f.decay(x.at) * share
			ag := e.agencies[x.agency]
			ex.ByCategory[intel.Categories[x.cat].Code] += s
			ex.ByAgencyKind[ag.Kind] += s
			ex.ByGrading[fmt.Sprintf("%d%c", x.source, 'A'+x.assess-1)] += s
			age := time.Duration(f.asOf-x.at) * time.Microsecond
			for bi, b := range ageBands {
				if age <= b.upTo {
					ex.ByAge[bi].Reports += n
					ex.ByAge[bi].Score += s
					break
				}
			}
			if w := weeks - 1 - int(age/(7*24*time.Hour)); w >= 0 {
				ex.Weeks[w].Reports += n
				ex.Weeks[w].Score += s
			}
			sh, ok := shares[x.agency]
			if !ok {
				sh = &AgencyShare{Agency: ag}
				shares[x.agency] = sh
			}
			sh.Reports += n
			sh.Score += s
		}
	}
	e.mu.RUnlock()
	for _, sh := range shares {
		ex.Agencies = append(ex.Agencies, *sh)
	}
	slices.SortFunc(ex.Agencies, func(a, b AgencyShare) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Agency.Name, b.Agency.Name))
	})

	ring, err := st.ring(c, p.K)
	if err != nil {
		return nil, err
	}
	for _, d := range ring {
		nc := byCell[d]
		ex.Neighbours = append(ex.Neighbours, Neighbour{Cell: d, Reports: nc.Reports, Score: nc.Score})
	}
	return ex, nil
}

// around is what explaining cell c of query p starts from: the study at
// p.Res, c's index in it, and the answer to p over the whole area by cell.
func (e *Engine) around(ctx context.Context, p Params, c hexgrid.Cell) (*study, int32, map[hexgrid.Cell]CellScore, error) {
	if c.Resolution() != p.Res {
		return nil, 0, nil, fmt.Errorf("%w: %s is not at resolution %d", ErrUnknownCell, c, p.Res)
	}
	st := e.studies[p.Res-hexgrid.MinRes]
	target, ok := st.index[c]
	if !ok {
		return nil, 0, nil, ErrUnknownCell
	}
	all := p
	all.BBox = nil
	res, err := e.HotspotsContext(ctx, all)
	if err != nil {
		return nil, 0, nil, err
	}
	byCell := make(map[hexgrid.Cell]CellScore, len(res.Cells))
	for _, rc := range res.Cells {
		byCell[rc.Cell] = rc
	}
	return st, target, byCell, nil
}

// ring is the study cells within k rings of c, c left out.
func (st *study) ring(c hexgrid.Cell, k int) ([]hexgrid.Cell, error) {
	disk, err := c.Disk(k)
	if err != nil {
		return nil, err
	}
	out := make([]hexgrid.Cell, 0, len(disk))
	for _, d := range disk {
		if _, in := st.index[d]; in && d != c {
			out = append(out, d)
		}
	}
	return out, nil
}
