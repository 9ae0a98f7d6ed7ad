package snapshot

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/signintech/gopdf"
)

// The map page: the ranks of the top rankedOnMap hexagons are written on
// it; those within linkKm of one another, hop by hop, form a cluster, and
// up to insetMax clusters of two or more get an inset at a larger scale.
const (
	rankedOnMap = 10
	insetMax    = 4
	linkKm      = 4.0
	// An inset shows its cluster's hexagons and insetPadKm around them,
	// and at least insetMinKm each way.
	insetPadKm = 1.5
	insetMinKm = 5.0
	kmPerDeg   = 111.2 // a degree of latitude
)

// box is a rectangle on the page: x0, y0 its top left, x1, y1 its bottom right.
type box struct{ x0, y0, x1, y1 float64 }

// overlaps reports whether a and b share more than an edge.
func (a box) overlaps(b box) bool { return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 }

// inside reports whether a lies wholly within b.
func (a box) inside(b box) bool { return a.x0 >= b.x0 && a.x1 <= b.x1 && a.y0 >= b.y0 && a.y1 <= b.y1 }

// holds reports whether p lies within a, edges included.
func (a box) holds(p gopdf.Point) bool {
	return p.X >= a.x0 && p.X <= a.x1 && p.Y >= a.y0 && p.Y <= a.y1
}

// around is the box of width w and height h centred on (x, y).
func around(x, y, w, h float64) box { return box{x - w/2, y - h/2, x + w/2, y + h/2} }

// layout keeps the boxes already taken on a map, so that no label
// overlaps another or the legend.
type layout struct {
	frame box
	taken []box
}

// place takes the first of the candidate boxes that is inside the frame
// and free, and reports whether one was.
func (l *layout) place(candidates []box) (box, bool) {
	for _, c := range candidates {
		if !c.inside(l.frame) || slices.ContainsFunc(l.taken, c.overlaps) {
			continue
		}
		l.taken = append(l.taken, c)
		return c, true
	}
	return box{}, false
}

// projection puts longitude and latitude on the page, north up, true to
// distances at the middle latitude of what it shows.
type projection struct {
	west, north float64 // the longitude and latitude at the page point (x, y)
	x, y        float64
	kx          float64 // the cosine of the middle latitude: a degree of longitude in degrees of latitude
	scale       float64 // points to a degree of latitude
}

// fit is the projection that shows bound whole, centred in f less pad on
// every side.
func fit(bound orb.Bound, f box, pad float64) projection {
	kx := math.Cos((bound.Min[1] + bound.Max[1]) / 2 * math.Pi / 180)
	w, h := (bound.Max[0]-bound.Min[0])*kx, bound.Max[1]-bound.Min[1]
	scale := math.Min((f.x1-f.x0-2*pad)/w, (f.y1-f.y0-2*pad)/h)
	return projection{west: bound.Min[0], north: bound.Max[1], kx: kx, scale: scale,
		x: (f.x0 + f.x1 - w*scale) / 2, y: (f.y0 + f.y1 - h*scale) / 2}
}

// at is where the point (longitude, latitude) lies on the page.
func (p projection) at(q [2]float64) gopdf.Point {
	return gopdf.Point{X: p.x + (q[0]-p.west)*p.kx*p.scale, Y: p.y + (p.north-q[1])*p.scale}
}

// ptPerKm is the scale in points to a kilometre.
func (p projection) ptPerKm() float64 { return p.scale / kmPerDeg }

// inset is a map of one cluster of top-ranked hexagons at a larger scale.
type inset struct {
	cells  []FrozenCell // the cluster, by rank
	letter string       // what names it on the county map
	frame  box          // where its map lies on the page
	bound  orb.Bound    // what its map shows, filling the frame
}

// drawMap draws the map of the first page in the body's width and height
// h: on the left the whole service area with the hexagons filled by score
// class; on the right the legend above the insets. The ranks of the top
// hexagons are written in their insets, the others' on the county map,
// and on the county map a lettered rectangle marks each inset's area.
func (d *doc) drawMap(h float64) {
	top := d.y + 4
	h -= 4
	cells := d.b.Content.Cells
	ranked := cells[:min(rankedOnMap, len(cells))]
	bound := d.b.Area.Bound()
	for _, c := range cells {
		for _, p := range c.Ring {
			bound = bound.Extend(orb.Point(p))
		}
	}
	// The county map takes the whole height, and the width that needs,
	// leaving the legend and the insets at least 45 % of the width.
	const pad = 10.0
	kx := math.Cos((bound.Min[1] + bound.Max[1]) / 2 * math.Pi / 180)
	countyW := (bound.Max[0]-bound.Min[0])*kx/(bound.Max[1]-bound.Min[1])*(h-2*pad) + 2*pad
	county := box{margin, top, margin + min(countyW, (pageW-2*margin)*0.55), top + h}
	side := box{county.x1 + 12, top, pageW - margin, top + h}

	groups := insetGroups(ranked)
	below := d.legend(side, len(groups) > 0)
	insets := insetFrames(box{side.x0, below + 6, side.x1, side.y1}, groups)
	shown := map[string]bool{}
	for _, in := range insets {
		d.drawInset(in, ranked, shown)
	}
	d.drawCounty(county, fit(bound, county, pad), insets, ranked, shown)
	d.y = county.y1
}

// drawCounty draws the map of the whole service area in frame f: the
// hexagons, the outline, the insets' areas, a north arrow, a scale bar,
// the ranks of the ranked hexagons not yet shown, and the places.
func (d *doc) drawCounty(f box, pr projection, insets []inset, ranked []FrozenCell, shown map[string]bool) {
	d.hexagons(pr, f)
	d.outline(pr, f)
	d.pdf.SetStrokeColor(200, 200, 200)
	d.pdf.SetLineWidth(0.5)
	d.pdf.RectFromUpperLeftWithStyle(f.x0, f.y0, f.x1-f.x0, f.y1-f.y0, "D")
	l := &layout{frame: f}
	d.northArrow(l, f)
	d.scaleBar(l, f, pr.ptPerKm(), 140)
	for _, in := range insets {
		d.insetMark(l, pr, in)
	}
	var rest []FrozenCell
	for _, c := range ranked {
		if !shown[c.Cell] {
			rest = append(rest, c)
		}
	}
	d.ranks(l, pr, rest)
	d.placeNames(l, pr)
}

// insetMark draws the rectangle of an inset's area on the county map,
// with the inset's letter beside it.
func (d *doc) insetMark(l *layout, pr projection, in inset) {
	nw, se := pr.at([2]float64{in.bound.Min[0], in.bound.Max[1]}), pr.at([2]float64{in.bound.Max[0], in.bound.Min[1]})
	d.pdf.SetStrokeColor(18, 38, 58)
	d.pdf.SetLineWidth(0.6)
	d.pdf.RectFromUpperLeftWithStyle(nw.X, nw.Y, se.X-nw.X, se.Y-nw.Y, "D")
	d.check(d.pdf.SetFont("gobold", "", 8))
	tw, _ := d.pdf.MeasureTextWidth(in.letter)
	w, h := tw+2, 10.0
	bx, ok := l.place([]box{{nw.X, nw.Y - h - 1, nw.X + w, nw.Y - 1}, {se.X - w, nw.Y - h - 1, se.X, nw.Y - 1},
		{nw.X - w - 1, nw.Y, nw.X - 1, nw.Y + h}, {se.X + 1, nw.Y, se.X + w + 1, nw.Y + h},
		{nw.X, se.Y + 1, nw.X + w, se.Y + h + 1}, {se.X - w, se.Y + 1, se.X, se.Y + h + 1}})
	if !ok {
		return
	}
	d.pdf.SetTextColor(18, 38, 58)
	d.pdf.SetXY(bx.x0+1, bx.y1-2.2)
	d.check(d.pdf.Text(in.letter))
	d.pdf.SetTextColor(0, 0, 0)
}

// drawInset draws an inset: its title above its frame, the hexagons and
// the outline within the frame, a scale bar, the ranks of the ranked
// hexagons within it (marked in shown) and the places.
func (d *doc) drawInset(in inset, ranked []FrozenCell, shown map[string]bool) {
	f := in.frame
	pr := fit(in.bound, f, 0)
	d.hexagons(pr, f)
	d.outline(pr, f)
	d.pdf.SetStrokeColor(18, 38, 58)
	d.pdf.SetLineWidth(0.8)
	d.pdf.RectFromUpperLeftWithStyle(f.x0, f.y0, f.x1-f.x0, f.y1-f.y0, "D")
	d.check(d.pdf.SetFont("gobold", "", 8.5))
	d.pdf.SetXY(f.x0, f.y0-3.5)
	d.check(d.pdf.Text(d.truncate("Inset "+in.letter+": near "+in.cells[0].Place, f.x1-f.x0)))

	l := &layout{frame: box{f.x0 + 2, f.y0 + 2, f.x1 - 2, f.y1 - 2}}
	d.scaleBar(l, f, pr.ptPerKm(), (f.x1-f.x0)*0.35)
	var within []FrozenCell
	for _, c := range ranked {
		if f.holds(pr.at([2]float64{c.Lon, c.Lat})) {
			within = append(within, c)
		}
	}
	for _, c := range d.ranks(l, pr, within) {
		shown[c] = true
	}
	d.placeNames(l, pr)
}

// hexagons draws every hexagon of the snapshot, filled by score class,
// as far as it lies within f; the highest scores last, on top.
func (d *doc) hexagons(pr projection, f box) {
	d.pdf.SetLineWidth(0.2)
	d.pdf.SetStrokeColor(120, 120, 120)
	cells := d.b.Content.Cells
	for i := len(cells) - 1; i >= 0; i-- {
		c := cells[i]
		pts := make([]gopdf.Point, len(c.Ring))
		for j, p := range c.Ring {
			pts[j] = pr.at(p)
		}
		if pts = clipPolygon(pts, f); len(pts) < 3 {
			continue
		}
		col := scoreFills[scoreClass(c.Score)]
		d.pdf.SetFillColor(col[0], col[1], col[2])
		d.pdf.Polygon(pts, "DF")
	}
}

// outline draws the service area's outline as far as it lies within f.
func (d *doc) outline(pr projection, f box) {
	d.pdf.SetStrokeColor(18, 38, 58)
	d.pdf.SetLineWidth(1)
	for _, poly := range d.b.Area {
		ring := poly[0]
		for j := 1; j < len(ring); j++ {
			if a, b, ok := clipSegment(pr.at(ring[j-1]), pr.at(ring[j]), f); ok {
				d.pdf.Line(a.X, a.Y, b.X, b.Y)
			}
		}
	}
}

// ranks writes the rank of each cell beside it, on a leader line, where
// the layout has room and off the middle of every one of the cells; it
// is the cells whose rank it wrote.
func (d *doc) ranks(l *layout, pr projection, cells []FrozenCell) []string {
	d.check(d.pdf.SetFont("gobold", "", 8))
	radius := make([]float64, len(cells)) // a cell's, centre to corner, on the page
	cores := make([]box, len(cells))
	for i, c := range cells {
		p := pr.at([2]float64{c.Lon, c.Lat})
		if len(c.Ring) > 0 {
			q := pr.at(c.Ring[0])
			radius[i] = math.Hypot(q.X-p.X, q.Y-p.Y)
		}
		cores[i] = around(p.X, p.Y, radius[i], radius[i])
	}
	var placed []string
	for i, c := range cells {
		p := pr.at([2]float64{c.Lon, c.Lat})
		label := fmt.Sprint(c.Rank)
		tw, _ := d.pdf.MeasureTextWidth(label)
		bw, bh := tw+6, 11.0
		var cands []box
		// Beside the cell (its colour stays visible), then further out.
		for r := max(10, radius[i]+bh/2+1); r <= radius[i]+90; r += 8 {
			for k := range 8 {
				a := float64(k)*math.Pi/4 - math.Pi/4
				if b := around(p.X+r*math.Cos(a), p.Y+r*math.Sin(a), bw, bh); !slices.ContainsFunc(cores, b.overlaps) {
					cands = append(cands, b)
				}
			}
		}
		bx, ok := l.place(cands)
		if !ok {
			continue
		}
		placed = append(placed, c.Cell)
		d.pdf.SetStrokeColor(18, 38, 58)
		d.pdf.SetLineWidth(0.6)
		d.pdf.Line(p.X, p.Y, (bx.x0+bx.x1)/2, (bx.y0+bx.y1)/2)
		d.pdf.SetFillColor(18, 38, 58)
		d.pdf.RectFromUpperLeftWithStyle(bx.x0, bx.y0, bw, bh, "F")
		d.pdf.SetTextColor(255, 255, 255)
		d.pdf.SetXY(bx.x0+3, bx.y0+8.5)
		d.check(d.pdf.Text(label))
	}
	d.pdf.SetTextColor(0, 0, 0)
	return placed
}

// haloAlpha is how opaque the white behind a place's name is: the name
// reads on the darkest fill, and the fill still shows through.
const haloAlpha = 0.6

// placeNames writes the gazetteer's places within the layout's frame,
// each beside its dot, on a light halo, where there is room.
func (d *doc) placeNames(l *layout, pr projection) {
	d.pdf.SetTextColor(40, 40, 40)
	d.check(d.pdf.SetFont("go", "", 7))
	// gopdf keeps its own state in the Transparency: one for each call.
	halo := gopdf.Transparency{Alpha: haloAlpha, BlendModeType: gopdf.NormalBlendMode}
	for _, pl := range d.b.Places {
		p := pr.at([2]float64{pl.Lon, pl.Lat})
		if !l.frame.holds(p) {
			continue
		}
		tw, _ := d.pdf.MeasureTextWidth(pl.Name)
		// Right, left, above, below, then at the corners.
		bx, ok := l.place([]box{{p.X + 3, p.Y - 4, p.X + 3 + tw, p.Y + 4}, {p.X - 3 - tw, p.Y - 4, p.X - 3, p.Y + 4},
			{p.X - tw/2, p.Y - 12, p.X + tw/2, p.Y - 4}, {p.X - tw/2, p.Y + 3, p.X + tw/2, p.Y + 11},
			{p.X + 2, p.Y - 10, p.X + 2 + tw, p.Y - 2}, {p.X - 2 - tw, p.Y - 10, p.X - 2, p.Y - 2},
			{p.X + 2, p.Y + 2, p.X + 2 + tw, p.Y + 10}, {p.X - 2 - tw, p.Y + 2, p.X - 2, p.Y + 10}})
		if !ok {
			continue
		}
		d.pdf.SetFillColor(255, 255, 255)
		d.check(d.pdf.RectFromUpperLeftWithOpts(gopdf.DrawableRectOptions{X: bx.x0 - 1, Y: bx.y0, Rect: gopdf.Rect{W: bx.x1 - bx.x0 + 2, H: bx.y1 - bx.y0},
			PaintStyle: gopdf.FillPaintStyle, Transparency: &halo}))
		d.pdf.SetFillColor(40, 40, 40)
		d.pdf.Oval(p.X-1.2, p.Y-1.2, p.X+1.2, p.Y+1.2)
		d.pdf.SetXY(bx.x0, bx.y1-1.5)
		d.check(d.pdf.Text(pl.Name))
	}
	d.pdf.SetTextColor(0, 0, 0)
}

// legend draws the score classes across the top of at, and says what the
// numbers (and, when there are insets, the lettered rectangles) are. It
// is the bottom of what it drew.
func (d *doc) legend(at box, insets bool) float64 {
	d.check(d.pdf.SetFont("gobold", "", 9))
	d.pdf.SetXY(at.x0, at.y0+9)
	d.check(d.pdf.Text("Score"))
	y := at.y0 + 14
	colW := (at.x1 - at.x0) / 4
	d.pdf.SetStrokeColor(120, 120, 120)
	d.pdf.SetLineWidth(0.3)
	d.check(d.pdf.SetFont("go", "", 8))
	for i, col := range scoreFills {
		x, row := at.x0+float64(i%4)*colW, y+float64(i/4)*12
		d.pdf.SetFillColor(col[0], col[1], col[2])
		d.pdf.RectFromUpperLeftWithStyle(x, row+1, 14, 9, "FD")
		d.pdf.SetXY(x+20, row+8.5)
		d.check(d.pdf.Text(scoreClassLabel(i)))
	}
	y += float64((len(scoreFills)+3)/4)*12 + 4
	note := "Numbers: ranks, on a line to the hexagon. North is up."
	if insets {
		note = "Numbers: ranks, on a line to the hexagon. Lettered rectangles on the county map: the areas of the insets below. North is up."
	}
	d.check(d.pdf.SetFont("go", "", 7.5))
	for _, line := range d.wrap(note, at.x1-at.x0) {
		d.pdf.SetXY(at.x0, y+7.5)
		d.check(d.pdf.Text(line))
		y += 10
	}
	return y
}

// northArrow draws an arrow and N at the frame's top left.
func (d *doc) northArrow(l *layout, f box) {
	x, y := f.x0+16, f.y0+10
	d.pdf.SetFillColor(18, 38, 58)
	d.pdf.Polygon([]gopdf.Point{{X: x, Y: y}, {X: x - 6, Y: y + 18}, {X: x, Y: y + 13}, {X: x + 6, Y: y + 18}}, "F")
	d.check(d.pdf.SetFont("gobold", "", 9))
	d.pdf.SetXY(x-3.2, y+30)
	d.check(d.pdf.Text("N"))
	l.taken = append(l.taken, box{x - 8, y - 2, x + 8, y + 32})
}

// scaleBar draws a bar of a round number of kilometres, at most longest
// points, at the frame's bottom left, ptPerKm points to a kilometre.
func (d *doc) scaleBar(l *layout, f box, ptPerKm, longest float64) {
	steps := []float64{0.5, 1, 2, 5, 10, 20, 50}
	km := steps[0]
	for _, k := range steps {
		if k*ptPerKm <= longest {
			km = k
		}
	}
	x, y := f.x0+12, f.y1-14
	length := km * ptPerKm
	d.pdf.SetFillColor(255, 255, 255)
	d.check(d.pdf.SetFont("go", "", 8))
	label := fmt.Sprintf("%g km", km)
	tw, _ := d.pdf.MeasureTextWidth(label)
	taken := box{x - 4, y - 8, x + length + 9 + tw, y + 6}
	d.pdf.RectFromUpperLeftWithStyle(taken.x0, taken.y0, taken.x1-taken.x0, taken.y1-taken.y0, "F")
	d.pdf.SetStrokeColor(0, 0, 0)
	d.pdf.SetLineWidth(1.2)
	d.pdf.Line(x, y, x+length, y)
	d.pdf.Line(x, y-4, x, y+1)
	d.pdf.Line(x+length, y-4, x+length, y+1)
	d.pdf.SetXY(x+length+5, y+3)
	d.check(d.pdf.Text(label))
	l.taken = append(l.taken, taken)
}

// insetGroups are the clusters of the cells (by rank) that get an inset:
// those of two cells or more, the largest first, then the one of the best
// rank; at most insetMax.
func insetGroups(cells []FrozenCell) [][]FrozenCell {
	var groups [][]FrozenCell
	for _, g := range clusters(cells) {
		if len(g) > 1 {
			groups = append(groups, g)
		}
	}
	slices.SortStableFunc(groups, func(a, b []FrozenCell) int { return cmp.Compare(len(b), len(a)) })
	return groups[:min(insetMax, len(groups))]
}

// clusters groups cells by single linkage: two cells within linkKm of
// each other are in the same cluster. Clusters come in the order of their
// first cell, and keep the cells' order.
func clusters(cells []FrozenCell) [][]FrozenCell {
	group := make([]int, len(cells))
	for i := range group {
		group[i] = i
	}
	for i := range cells {
		for j := range i {
			if g := group[i]; g != group[j] && distanceKm(cells[i], cells[j]) <= linkKm {
				for k := range group {
					if group[k] == g {
						group[k] = group[j]
					}
				}
			}
		}
	}
	var out [][]FrozenCell
	index := map[int]int{}
	for i, c := range cells {
		k, ok := index[group[i]]
		if !ok {
			k = len(out)
			index[group[i]] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], c)
	}
	return out
}

// distanceKm is the distance between the centres of two cells, near
// enough for cells a few kilometres apart.
func distanceKm(a, b FrozenCell) float64 {
	dx := (a.Lon - b.Lon) * math.Cos((a.Lat+b.Lat)/2*math.Pi/180)
	return math.Hypot(dx, a.Lat-b.Lat) * kmPerDeg
}

// insetFrames lays the insets of the groups out in area: one above
// another for two, and in two rows for three or four (the largest alone
// in the first row of three). Each has its title line above its frame,
// and shows its group padded, grown to the frame's shape.
func insetFrames(area box, groups [][]FrozenCell) []inset {
	const gap, title = 10.0, 12.0
	n := len(groups)
	rows := min(n, 2)
	var out []inset
	for r := range rows {
		perRow := n / rows
		if r >= rows-n%rows {
			perRow++
		}
		rowH := (area.y1 - area.y0 - float64(rows-1)*gap) / float64(rows)
		w := (area.x1 - area.x0 - float64(perRow-1)*gap) / float64(perRow)
		y := area.y0 + float64(r)*(rowH+gap)
		for k := range perRow {
			x := area.x0 + float64(k)*(w+gap)
			f := box{x, y + title, x + w, y + rowH}
			g := groups[len(out)]
			out = append(out, inset{cells: g, letter: string(rune('A' + len(out))), frame: f, bound: insetBound(g, f)})
		}
	}
	return out
}

// insetBound is what an inset of the cells shows in frame f: their
// hexagons and insetPadKm around, at least insetMinKm each way, grown to
// the frame's shape.
func insetBound(cells []FrozenCell, f box) orb.Bound {
	b := orb.Point{cells[0].Lon, cells[0].Lat}.Bound()
	for _, c := range cells {
		for _, p := range c.Ring {
			b = b.Extend(orb.Point(p))
		}
	}
	mid := b.Center()
	kmX := kmPerDeg * math.Cos(mid[1]*math.Pi/180) // a degree of longitude
	w := max((b.Max[0]-b.Min[0])*kmX+2*insetPadKm, insetMinKm)
	h := max((b.Max[1]-b.Min[1])*kmPerDeg+2*insetPadKm, insetMinKm)
	if aspect := (f.x1 - f.x0) / (f.y1 - f.y0); w/h < aspect {
		w = h * aspect
	} else {
		h = w / aspect
	}
	return orb.Bound{Min: orb.Point{mid[0] - w/2/kmX, mid[1] - h/2/kmPerDeg}, Max: orb.Point{mid[0] + w/2/kmX, mid[1] + h/2/kmPerDeg}}
}

// clipPolygon is the part of the polygon pts inside f, by clipping it
// against each side of f in turn (Sutherland–Hodgman).
func clipPolygon(pts []gopdf.Point, f box) []gopdf.Point {
	sides := []func(p gopdf.Point) float64{ // how far inside each side a point lies
		func(p gopdf.Point) float64 { return p.X - f.x0 },
		func(p gopdf.Point) float64 { return f.x1 - p.X },
		func(p gopdf.Point) float64 { return p.Y - f.y0 },
		func(p gopdf.Point) float64 { return f.y1 - p.Y },
	}
	for _, in := range sides {
		var out []gopdf.Point
		for i, b := range pts {
			a := pts[(i+len(pts)-1)%len(pts)]
			da, db := in(a), in(b)
			if (da >= 0) != (db >= 0) {
				t := da / (da - db)
				out = append(out, gopdf.Point{X: a.X + t*(b.X-a.X), Y: a.Y + t*(b.Y-a.Y)})
			}
			if db >= 0 {
				out = append(out, b)
			}
		}
		pts = out
	}
	return pts
}

// clipSegment is the part of the segment from a to b inside f, and
// whether there is one (Liang–Barsky).
func clipSegment(a, b gopdf.Point, f box) (gopdf.Point, gopdf.Point, bool) {
	dx, dy := b.X-a.X, b.Y-a.Y
	t0, t1 := 0.0, 1.0
	// For each side, p·t ≤ q keeps the point a + t·(b−a) inside it.
	for _, e := range [][2]float64{{-dx, a.X - f.x0}, {dx, f.x1 - a.X}, {-dy, a.Y - f.y0}, {dy, f.y1 - a.Y}} {
		p, q := e[0], e[1]
		switch {
		case p == 0 && q < 0:
			return a, b, false
		case p < 0:
			t0 = max(t0, q/p)
		case p > 0:
			t1 = min(t1, q/p)
		}
	}
	if t0 > t1 {
		return a, b, false
	}
	return gopdf.Point{X: a.X + t0*dx, Y: a.Y + t0*dy}, gopdf.Point{X: a.X + t1*dx, Y: a.Y + t1*dy}, true
}
