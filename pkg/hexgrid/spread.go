package hexgrid

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// Levels is the number of resolutions hotspots are computed at.
const Levels = MaxRes - MinRes + 1

// Cells are the cells holding one point at each resolution, MinRes first.
type Cells [Levels]Cell

// At is the cell at resolution res.
func (cs Cells) At(res int) Cell { return cs[res-MinRes] }

// Containing returns the cell holding (lat, lon) at every resolution from
// MinRes to MaxRes: LatLngToCell at each, since an H3 parent does not
// contain all of its children's area.
func Containing(lat, lon float64) (Cells, error) {
	var cs Cells
	for i := range cs {
		c, err := Of(lat, lon, MinRes+i)
		if err != nil {
			return cs, err
		}
		cs[i] = c
	}
	return cs, nil
}

// Share is part of a report's weight in one cell. Weights are rounded to
// single precision, as they are stored and held.
type Share struct {
	Cell   Cell
	Weight float64
}

// DiskVertices is the number of vertices of the polygon that stands for a
// precision disk.
const DiskVertices = 16

// metresPerDegree is the length of a degree of latitude (and of longitude
// at the equator) on the mean earth sphere H3 uses.
const metresPerDegree = 6371007.180918475 * math.Pi / 180

// Disk is the polygon that stands for the disk of radius r metres around
// (lat, lon): DiskVertices points on the circle, in lon/lat degrees (a
// degree of longitude scaled by the cosine of the latitude), counter-
// clockwise, closed.
func Disk(lat, lon, r float64) orb.Ring {
	dLat := r / metresPerDegree
	dLon := dLat / math.Cos(lat*math.Pi/180)
	ring := make(orb.Ring, DiskVertices+1)
	for i := range DiskVertices {
		a := 2 * math.Pi * float64(i) / DiskVertices
		ring[i] = orb.Point{lon + dLon*math.Cos(a), lat + dLat*math.Sin(a)}
	}
	ring[DiskVertices] = ring[0]
	return ring
}

// diskNormals are the outward unit normals of the edges of a Disk, in the
// plane where it is a circle (longitude scaled by the cosine of the
// latitude): edge i runs from vertex i to vertex i+1.
var diskNormals = func() (out [DiskVertices][2]float64) {
	for i := range out {
		a := 2 * math.Pi * (float64(i) + 0.5) / DiskVertices
		out[i] = [2]float64{math.Cos(a), math.Sin(a)}
	}
	return out
}()

// Spreads reports whether a position known to r metres is spread at res:
// when the cells' average edge is shorter than r, placing it in one cell
// would claim a precision it does not have.
func Spreads(r float64, res int) bool {
	return res >= MinRes && res <= MaxRes && r > edges[res-MinRes]
}

// MaxSpreadRatio bounds a spread: where the precision is more than this
// many times the cells' average edge (its disk would cover about a
// thousand cells or more), the report says nothing about cells that small,
// and its weight is left out at that resolution (Scoreless).
const MaxSpreadRatio = 28

// Scoreless reports whether a position known to r metres is too vague to
// score at res: its weight goes to no cell there (it still counts whole in
// the cell that holds it).
func Scoreless(r float64, res int) bool {
	return res >= MinRes && res <= MaxRes && r > MaxSpreadRatio*edges[res-MinRes]
}

// edges are the average edge lengths of H3 cells, in metres, at MinRes to MaxRes.
var edges = func() [Levels]float64 {
	var out [Levels]float64
	for i := range out {
		e, err := h3.HexagonEdgeLengthAvgM(MinRes + i)
		if err != nil {
			panic(err)
		}
		out[i] = e
	}
	return out
}()

// AreaKm2 is the average area of a cell at res, in km².
func AreaKm2(res int) float64 {
	a, err := h3.HexagonAreaAvgKm2(res)
	if err != nil {
		return 0
	}
	return a
}

// Spreader computes spreads, keeping the boundaries and neighbours of the
// cells it meets (reports cluster: the same cells come back). It is safe
// for concurrent use; the zero value is ready.
type Spreader struct {
	mu    sync.RWMutex
	cells map[Cell]*cellGeom
}

// spreaderCells bounds the cells a Spreader keeps (about 200 bytes each).
const spreaderCells = 200000

type cellGeom struct {
	ring   orb.Ring  // open: first vertex not repeated
	centre orb.Point // mean of the vertices
	area   float64
	nb     []Cell // the neighbours, found when first needed
}

// geom is c's boundary, from the cache or from H3.
func (s *Spreader) geom(c Cell) (*cellGeom, error) {
	s.mu.RLock()
	g, ok := s.cells[c]
	s.mu.RUnlock()
	if ok {
		return g, nil
	}
	b, err := h3.Cell(c).Boundary()
	if err != nil {
		return nil, fmt.Errorf("hexgrid: boundary of %s: %w", c, err)
	}
	g = &cellGeom{ring: make(orb.Ring, len(b))}
	for i, ll := range b {
		g.ring[i] = orb.Point{ll.Lng, ll.Lat}
		g.centre[0] += ll.Lng / float64(len(b))
		g.centre[1] += ll.Lat / float64(len(b))
	}
	g.area = area(g.ring)
	s.keep(c, g)
	return g, nil
}

// neighbours are c's neighbours (g is c's geom), found once.
func (s *Spreader) neighbours(c Cell, g *cellGeom) ([]Cell, error) {
	s.mu.RLock()
	nb := g.nb
	s.mu.RUnlock()
	if nb != nil {
		return nb, nil
	}
	nb, err := c.Disk(1)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	g.nb = nb
	s.mu.Unlock()
	return nb, nil
}

func (s *Spreader) keep(c Cell, g *cellGeom) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cells == nil || len(s.cells) >= spreaderCells {
		s.cells = make(map[Cell]*cellGeom, spreaderCells)
	}
	s.cells[c] = g
}

// work is the scratch space of one spread, reused through a pool.
type work struct {
	queue   []Cell
	seen    cellSet
	scratch [2]orb.Ring
}

var works = sync.Pool{New: func() any { return new(work) }}

// Spread is the disk of radius r metres around (lat, lon) shared out over
// the cells at res it overlaps, each in proportion to the area of overlap
// (areas in the plane of Disk), in cell order; nil when Spreads is false.
// The weights sum to 1 up to rounding. When Scoreless, it is the holding
// cell with weight 0: the report scores nowhere at res.
func (s *Spreader) Spread(lat, lon, r float64, res int) ([]Share, error) {
	if !Spreads(r, res) {
		return nil, nil
	}
	start, err := Of(lat, lon, res)
	if err != nil {
		return nil, err
	}
	if Scoreless(r, res) {
		return []Share{{start, 0}}, nil
	}
	return s.spreadFrom(start, lat, lon, r)
}

// SpreadAll is Spread at every resolution where the disk spreads, given
// the cells that hold the point (Containing).
func (s *Spreader) SpreadAll(cells Cells, lat, lon, r float64) ([]Share, error) {
	var out []Share
	for i, c := range cells {
		if !Spreads(r, MinRes+i) {
			continue
		}
		if Scoreless(r, MinRes+i) {
			out = append(out, Share{c, 0})
			continue
		}
		shares, err := s.spreadFrom(c, lat, lon, r)
		if err != nil {
			return nil, err
		}
		out = append(out, shares...)
	}
	return out, nil
}

// spreadFrom floods the disk out from start, the cell holding its centre.
func (s *Spreader) spreadFrom(start Cell, lat, lon, r float64) ([]Share, error) {
	disk := Disk(lat, lon, r)[:DiskVertices]
	total := area(disk)
	// In the plane where the disk is a circle: x scaled by cos(lat).
	scale := math.Cos(lat * math.Pi / 180)
	rDeg := r / metresPerDegree
	inner := rDeg * math.Cos(math.Pi/DiskVertices) // the polygon's inscribed circle
	dist2 := func(p orb.Point) float64 {
		dx, dy := (p[0]-lon)*scale, p[1]-lat
		return dx*dx + dy*dy
	}
	// Flood out from the containing cell through the cells that overlap.
	w := works.Get().(*work)
	defer works.Put(w)
	w.seen.reset()
	w.seen.add(start)
	queue := append(w.queue[:0], start)
	var out []Share
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		g, err := s.geom(c)
		if err != nil {
			return nil, fmt.Errorf("hexgrid: spread: %w", err)
		}
		// Cells wholly inside the polygon need no clipping; cells wholly
		// outside its circumscribed circle none either.
		var far, reach float64
		centre := g.centre
		dc := math.Sqrt(dist2(centre))
		for _, p := range g.ring {
			far = max(far, dist2(p))
			dx, dy := (p[0]-centre[0])*scale, p[1]-centre[1]
			reach = max(reach, dx*dx+dy*dy)
		}
		var a float64
		switch {
		case far <= inner*inner:
			a = g.area
		case dc-math.Sqrt(reach) > rDeg:
			a = 0
		default:
			// Only the disk's edges whose line passes within reach of the
			// cell's centre can cut it.
			rho := math.Sqrt(reach)
			hx, hy := (centre[0]-lon)*scale, centre[1]-lat
			var cut uint32
			for i, n := range diskNormals {
				if hx*n[0]+hy*n[1]+rho >= inner*(1-1e-9) {
					cut |= 1 << i
				}
			}
			a = area(clip(g.ring, disk, cut, &w.scratch))
		}
		if a <= 0 {
			continue
		}
		out = append(out, Share{c, float64(float32(a / total))})
		nb, err := s.neighbours(c, g)
		if err != nil {
			return nil, fmt.Errorf("hexgrid: spread: %w", err)
		}
		for _, n := range nb {
			if w.seen.add(n) {
				queue = append(queue, n)
			}
		}
	}
	w.queue = queue[:0]
	slices.SortFunc(out, func(a, b Share) int { return cmp.Compare(a.Cell, b.Cell) })
	return out, nil
}

// cellSet is a small open-addressed set of cells, growing as needed: the
// flood of one spread meets tens to a few thousand cells.
type cellSet struct {
	slots []Cell
	n     int
}

// reset empties the set, keeping its room.
func (s *cellSet) reset() {
	clear(s.slots)
	s.n = 0
}

// add adds c and reports whether it was new.
func (s *cellSet) add(c Cell) bool {
	if 2*(s.n+1) > len(s.slots) {
		old := s.slots
		s.slots, s.n = make([]Cell, max(64, 2*len(old))), 0
		for _, o := range old {
			if o != 0 {
				s.add(o)
			}
		}
	}
	mask := uint64(len(s.slots) - 1)
	for i := (uint64(c) * 0x9e3779b97f4a7c15) >> 32 & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case c:
			return false
		case 0:
			s.slots[i] = c
			s.n++
			return true
		}
	}
}

// clip is the part of the convex polygon subject inside the convex,
// counter-clockwise polygon by (Sutherland–Hodgman); both open rings. Only
// the edges of by whose bit is set in cut (edge i runs from vertex i) are
// tried: the caller knows the others leave subject whole. It works in the
// two scratch rings; an edge that leaves the whole of what remains inside
// costs a test per vertex and no copy.
func clip(subject, by orb.Ring, cut uint32, scratch *[2]orb.Ring) orb.Ring {
	out := subject
	k := 0
	for i := range by {
		if cut&(1<<i) == 0 {
			continue
		}
		a, b := by[i], by[(i+1)%len(by)]
		inside := true
		for _, p := range out {
			if side(a, b, p) < 0 {
				inside = false
				break
			}
		}
		if inside {
			continue
		}
		in := out
		out = scratch[k%2][:0]
		for j := range in {
			p, q := in[j], in[(j+1)%len(in)]
			pin, qin := side(a, b, p) >= 0, side(a, b, q) >= 0
			if pin {
				out = append(out, p)
			}
			if pin != qin {
				out = append(out, cross(a, b, p, q))
			}
		}
		scratch[k%2] = out
		k++
		if len(out) == 0 {
			return nil
		}
	}
	return out
}

// side is positive when p lies left of the line a→b.
func side(a, b, p orb.Point) float64 {
	return (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0])
}

// cross is where the segment p→q meets the line a→b.
func cross(a, b, p, q orb.Point) orb.Point {
	sp, sq := side(a, b, p), side(a, b, q)
	t := sp / (sp - sq)
	return orb.Point{p[0] + t*(q[0]-p[0]), p[1] + t*(q[1]-p[1])}
}

// area is the area of an open ring in degrees squared: only ratios of
// areas are used, which the plane's scale does not change.
func area(r orb.Ring) float64 {
	var s float64
	for i := range r {
		p, q := r[i], r[(i+1)%len(r)]
		s += p[0]*q[1] - q[0]*p[1]
	}
	return math.Abs(s) / 2
}
