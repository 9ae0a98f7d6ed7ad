package hotspot

import (
	"cmp"
	"context"
	"slices"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
)

// CellCoverage is who reported from one cell: in the window of a query and
// in the window of the same length just before it.
type CellCoverage struct {
	Cell     hexgrid.Cell
	Reports  int
	Agencies int
	// Kinds and Before are the agency kinds that reported in the window
	// and in the one before, sorted.
	Kinds, Before []string
}

// Silent are the agency kinds that reported from the cell in the window
// before and not in this one.
func (c CellCoverage) Silent() []string {
	var out []string
	for _, k := range c.Before {
		if !slices.Contains(c.Kinds, k) {
			out = append(out, k)
		}
	}
	return out
}

// Coverage is who reported from each cell that any counted report of p's
// filters places in the window [p.From, p.AsOf] or the window of the same
// length before it, by cell. A report counts in the cell that holds its
// point.
func (e *Engine) Coverage(ctx context.Context, p Params) ([]CellCoverage, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	st := e.studies[p.Res-hexgrid.MinRes]
	f := e.compile(p)
	before := f.from - (f.asOf - f.from)
	type sums struct {
		reports       int
		agencies      []uint16
		kinds, former uint32 // bit i: kind i of kinds
	}
	var kinds []string
	kindBit := map[string]uint32{}
	bit := func(ag uint16) uint32 {
		k := e.agencies[ag].Kind
		b, ok := kindBit[k]
		if !ok {
			b = 1 << len(kinds)
			kinds = append(kinds, k)
			kindBit[k] = b
		}
		return b
	}
	cells := map[int32]*sums{}
	for _, b := range e.window(before, f.asOf) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for i := range b {
			x := &b[i]
			if x.at < before || x.at > f.asOf || !f.admits(x) {
				continue
			}
			ci := x.idx[f.resIdx]
			s := cells[ci]
			if s == nil {
				s = &sums{}
				cells[ci] = s
			}
			if x.at < f.from {
				s.former |= bit(x.agency)
				continue
			}
			s.reports++
			s.kinds |= bit(x.agency)
			if !slices.Contains(s.agencies, x.agency) {
				s.agencies = append(s.agencies, x.agency)
			}
		}
	}
	names := func(mask uint32) []string {
		var out []string
		for i, k := range kinds {
			if mask&(1<<i) != 0 {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out
	}
	out := make([]CellCoverage, 0, len(cells))
	for ci, s := range cells {
		out = append(out, CellCoverage{Cell: st.cells[ci], Reports: s.reports, Agencies: len(s.agencies), Kinds: names(s.kinds), Before: names(s.former)})
	}
	slices.SortFunc(out, func(a, b CellCoverage) int { return cmp.Compare(a.Cell, b.Cell) })
	return out, nil
}
