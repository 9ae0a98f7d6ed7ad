package hexgrid

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

func TestParentMatchesH3(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		lat, lon := 52+rng.Float64(), -0.5+rng.Float64()
		c, err := Of(lat, lon, StoreRes)
		if err != nil {
			t.Fatal(err)
		}
		for res := 0; res <= StoreRes; res++ {
			want, err := h3.Cell(c).Parent(res)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Parent(res); uint64(got) != uint64(want) {
				t.Fatalf("Parent(%s, %d): got %s, want %s", c, res, got, Cell(want))
			}
		}
	}
}

func TestPolygonIsClosedAndCounterClockwise(t *testing.T) {
	c, err := Of(52.2053, 0.1218, 8)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Polygon()
	if err != nil {
		t.Fatal(err)
	}
	ring := p[0]
	if len(ring) != 7 || !ring.Closed() {
		t.Fatalf("ring: got %d points, closed=%v; want 7, closed", len(ring), ring.Closed())
	}
	if ring.Orientation() != orb.CCW {
		t.Fatalf("ring orientation: got %v, want counter-clockwise", ring.Orientation())
	}
	center, _ := c.Center()
	if !ring.Bound().Contains(center) {
		t.Fatalf("centre %v outside the ring's bound", center)
	}
}

func TestParse(t *testing.T) {
	c, _ := Of(52.57, -0.24, 9)
	got, err := Parse(c.String())
	if err != nil || got != c {
		t.Fatalf("Parse(%s): got %s, %v", c, got, err)
	}
	for _, s := range []string{"", "zz", "8a195da49ffffff0"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q): got no error", s)
		}
	}
}

func TestStoreRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		a, _ := Of(52+rng.Float64()*0.5, -0.3+rng.Float64()*0.5, StoreRes)
		b, _ := Of(52+rng.Float64()*0.5, -0.3+rng.Float64()*0.5, StoreRes)
		for res := MinRes; res <= StoreRes; res++ {
			lo, hi := a.Parent(res).StoreRange()
			if a < lo || a > hi {
				t.Fatalf("cell %s outside the range of its parent at %d", a, res)
			}
			if inRange, isChild := b >= lo && b <= hi, b.Parent(res) == a.Parent(res); inRange != isChild {
				t.Fatalf("cell %s: in range of %s is %v, child is %v", b, a.Parent(res), inRange, isChild)
			}
		}
	}
}

func TestBufferAndOutline(t *testing.T) {
	c, err := Of(52.2053, 0.1218, 8)
	if err != nil {
		t.Fatal(err)
	}
	b1, err := Buffer([]Cell{c}, 1)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := Buffer([]Cell{c}, 2)
	if len(b1) != 6 || len(b2) != 18 {
		t.Errorf("buffers of one cell: %d and %d cells, want 6 and 18", len(b1), len(b2))
	}
	disk, _ := c.Disk(1)
	if b, _ := Buffer(disk, 1); len(b) != 12 {
		t.Errorf("buffer of a disk of 7: %d cells, want 12", len(b))
	}
	mp, err := Outline(disk)
	if err != nil {
		t.Fatal(err)
	}
	if len(mp) != 1 || len(mp[0]) != 1 || !mp[0][0].Closed() || len(mp[0][0]) != 19 {
		t.Errorf("outline of a disk of 7: %d polygons, want one closed ring of 18 vertices: %v", len(mp), mp)
	}
}
