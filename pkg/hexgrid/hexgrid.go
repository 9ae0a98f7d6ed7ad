// Package hexgrid is hexwatch's use of the H3 grid: the cell of a point,
// parents, disks and cell boundaries as orb polygons (RFC 7946 winding).
//
// Reports store their cell at StoreRes; coarser cells are derived with
// Parent, which works on H3's bit layout in Go, so that aggregation loops
// over many reports make no cgo calls.
package hexgrid

import (
	"fmt"
	"slices"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// StoreRes is the resolution at which a report's cell is stored: about
// 15,000 m² a cell, finer than any resolution the map shows.
const StoreRes = 10

// MinRes and MaxRes bound the resolutions hotspots are computed at.
const (
	MinRes = 6
	MaxRes = StoreRes
)

// Cell is an H3 cell index.
type Cell uint64

// Of returns the cell at resolution res that holds the point (lat, lon).
func Of(lat, lon float64, res int) (Cell, error) {
	c, err := h3.LatLngToCell(h3.NewLatLng(lat, lon), res)
	if err != nil {
		return 0, fmt.Errorf("hexgrid: cell of %v,%v: %w", lat, lon, err)
	}
	return Cell(c), nil
}

const (
	resShift = 52
	resMask  = uint64(0xF) << resShift
	digitAll = 7 // an unused digit below a cell's resolution
)

// Resolution is the resolution of c.
func (c Cell) Resolution() int { return int((uint64(c) & resMask) >> resShift) }

// Parent returns the cell at resolution res that contains c; c itself when
// res is not coarser than c.
func (c Cell) Parent(res int) Cell {
	cur := c.Resolution()
	if res >= cur || res < 0 {
		return c
	}
	p := (uint64(c) &^ resMask) | uint64(res)<<resShift
	for r := res + 1; r <= cur; r++ {
		p |= digitAll << ((15 - r) * 3)
	}
	return Cell(p)
}

// Valid reports whether c is a valid H3 cell.
func (c Cell) Valid() bool { return h3.Cell(c).IsValid() }

// String is the cell's hexadecimal H3 index, as used in URLs and GeoJSON ids.
func (c Cell) String() string { return h3.Cell(c).String() }

// Parse reads a cell from its hexadecimal H3 index.
func Parse(s string) (Cell, error) {
	c := h3.CellFromString(s)
	if !c.IsValid() {
		return 0, fmt.Errorf("hexgrid: %q is not an H3 cell", s)
	}
	return Cell(c), nil
}

// Disk returns the cells within k steps of c, c included.
func (c Cell) Disk(k int) ([]Cell, error) {
	cs, err := h3.Cell(c).GridDisk(k)
	if err != nil {
		return nil, fmt.Errorf("hexgrid: disk of %s: %w", c, err)
	}
	out := make([]Cell, len(cs))
	for i, x := range cs {
		out[i] = Cell(x)
	}
	return out, nil
}

// Center is the cell's centre point (lon, lat).
func (c Cell) Center() (orb.Point, error) {
	ll, err := h3.Cell(c).LatLng()
	if err != nil {
		return orb.Point{}, fmt.Errorf("hexgrid: centre of %s: %w", c, err)
	}
	return orb.Point{ll.Lng, ll.Lat}, nil
}

// Polygon is the cell's boundary as a closed ring in lon/lat order. H3
// gives the vertices counter-clockwise, as RFC 7946 wants exterior rings.
func (c Cell) Polygon() (orb.Polygon, error) {
	if !c.Valid() {
		return nil, fmt.Errorf("hexgrid: %x is not an H3 cell", uint64(c))
	}
	b, err := h3.Cell(c).Boundary()
	if err != nil {
		return nil, fmt.Errorf("hexgrid: boundary of %s: %w", c, err)
	}
	ring := make(orb.Ring, 0, len(b)+1)
	for _, ll := range b {
		ring = append(ring, orb.Point{ll.Lng, ll.Lat})
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}, nil
}

// StoreRange returns the smallest and largest StoreRes cells inside c: a
// stored cell s lies in c exactly when lo <= s <= hi, because H3 orders the
// digits of finer resolutions below those of coarser ones.
func (c Cell) StoreRange() (lo, hi Cell) {
	base := uint64(c)&^resMask | uint64(StoreRes)<<resShift
	l, h := base, base
	for d := c.Resolution() + 1; d <= StoreRes; d++ {
		shift := (15 - d) * 3
		l &^= digitAll << shift
		h = h&^(digitAll<<shift) | 6<<shift
	}
	return Cell(l), Cell(h)
}

// Cover returns every cell at resolution res that overlaps the polygons,
// sorted: the study area of hotspot statistics.
func Cover(mp orb.MultiPolygon, res int) ([]Cell, error) {
	var out []Cell
	for _, poly := range mp {
		gp := h3.GeoPolygon{GeoLoop: loop(poly[0])}
		for _, hole := range poly[1:] {
			gp.Holes = append(gp.Holes, loop(hole))
		}
		cs, err := h3.PolygonToCellsExperimental(gp, res, h3.ContainmentOverlapping)
		if err != nil {
			return nil, fmt.Errorf("hexgrid: cover at resolution %d: %w", res, err)
		}
		for _, c := range cs {
			out = append(out, Cell(c))
		}
	}
	// Polygons that touch share cells: each is listed once.
	slices.Sort(out)
	return slices.Compact(out), nil
}

func loop(r orb.Ring) h3.GeoLoop {
	if r.Closed() {
		r = r[:len(r)-1]
	}
	l := make(h3.GeoLoop, len(r))
	for i, p := range r {
		l[i] = h3.NewLatLng(p[1], p[0])
	}
	return l
}

// Buffer is the cells within k steps of cells that are not among them,
// sorted: the ring around an area.
func Buffer(cells []Cell, k int) ([]Cell, error) {
	in := make(map[Cell]bool, len(cells))
	for _, c := range cells {
		in[c] = true
	}
	seen := map[Cell]bool{}
	var out []Cell
	for _, c := range cells {
		disk, err := c.Disk(k)
		if err != nil {
			return nil, err
		}
		for _, d := range disk {
			if !in[d] && !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// Outline is the outline of cells: their union as polygons, lon/lat.
func Outline(cells []Cell) (orb.MultiPolygon, error) {
	hs := make([]h3.Cell, len(cells))
	for i, c := range cells {
		hs[i] = h3.Cell(c)
	}
	gps, err := h3.CellsToMultiPolygon(hs)
	if err != nil {
		return nil, fmt.Errorf("hexgrid: outline: %w", err)
	}
	out := make(orb.MultiPolygon, 0, len(gps))
	for _, gp := range gps {
		poly := orb.Polygon{ring(gp.GeoLoop)}
		for _, h := range gp.Holes {
			poly = append(poly, ring(h))
		}
		out = append(out, poly)
	}
	return out, nil
}

func ring(l h3.GeoLoop) orb.Ring {
	r := make(orb.Ring, 0, len(l)+1)
	for _, ll := range l {
		r = append(r, orb.Point{ll.Lng, ll.Lat})
	}
	if len(r) > 0 {
		r = append(r, r[0])
	}
	return r
}
