package release

import (
	"slices"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
)

// CoverageMaxRes is the finest resolution of the published coverage
// layer: who reports from where is shown coarser than the hotspots.
const CoverageMaxRes = 7

// CellKinds is the published coverage of one shown cell: the agency kinds
// of its published split by agency kind (each with K reports or more),
// whether the kinds under K merged into "other" reach K together, and the
// kinds of the same cell in the release of the window before, when that
// release showed it.
type CellKinds struct {
	Cell  hexgrid.Cell
	Kinds []string
	Other bool
	// Before is nil when the earlier table did not show the cell, or there
	// is none.
	Before []string
}

// Kinds is the published coverage of the cells t shows, against prev (the
// table of the same resolution, window and category whose window ends
// where t's begins; nil when not stored). It holds nothing a reader of
// the two tables could not read from their splits.
func (t *Table) Kinds(prev *Table) []CellKinds {
	out := make([]CellKinds, 0, len(t.Cells))
	for _, c := range t.Cells {
		ck := CellKinds{Cell: c.Cell}
		if c.Splits != nil {
			ck.Kinds, ck.Other = namedKinds(c.Splits.ByAgencyKind)
		}
		if prev != nil {
			if pc, ok := prev.Lookup(c.Cell); ok && pc.Splits != nil {
				ck.Before, _ = namedKinds(pc.Splits.ByAgencyKind)
				if ck.Before == nil {
					ck.Before = []string{}
				}
			}
		}
		out = append(out, ck)
	}
	return out
}

func namedKinds(split map[string]int) ([]string, bool) {
	var kinds []string
	other := false
	for k := range split {
		if k == hotspot.Other {
			other = true
			continue
		}
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds, other
}
