package release

import (
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
)

func TestCutoffIsMondayMidnightInLondon(t *testing.T) {
	for _, c := range []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"a Sunday in winter", time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 23, 0, 0, 0, 0, time.UTC)},
		{"the Monday after the clocks go forward", time.Date(2026, 3, 29, 23, 30, 0, 0, time.UTC), time.Date(2026, 3, 29, 23, 0, 0, 0, time.UTC)},
		{"the last minute before a summer cut-off", time.Date(2026, 7, 5, 22, 59, 0, 0, time.UTC), time.Date(2026, 6, 28, 23, 0, 0, 0, time.UTC)},
		{"the Monday after the clocks go back", time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC)},
	} {
		if got := Cutoff(c.at); !got.Equal(c.want) {
			t.Errorf("%s: Cutoff(%s) = %s, want %s", c.name, c.at, got, c.want)
		}
	}
}

func TestTableSurvivesItsStoredForm(t *testing.T) {
	a, _ := hexgrid.Of(52.2053, 0.1218, 8)
	b, _ := hexgrid.Of(52.5749, -0.2503, 8)
	n := 10
	in := &Table{Cutoff: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), Res: 8, Window: 364, StudyCells: 4000, Cells: []Cell{
		{Cell: a, Reports: 12, Categories: map[string]int{"drug_supply": 10}, Trend: hotspot.TrendNew,
			ByHalfLife: map[string]Figures{"14d": {Score: 20, Rank: 2, Confidence: 90}, "28d": {Score: 50, Rank: 1, Confidence: 95}},
			Splits:     &hotspot.Splits{ByCategory: map[string]int{"drug_supply": 10}, ByAge: []hotspot.Count{{Label: "last 7 days", Reports: &n}}}},
		{Cell: b, Reports: 30, Categories: map[string]int{"weapons": 30},
			ByHalfLife: map[string]Figures{"14d": {Score: 50, Rank: 1}, "28d": {Score: 20, Rank: 2}}},
	}}
	body, err := in.Encode()
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	out.at, in.at = nil, nil
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", out, in)
	}
	out.index()
	if c, ok := out.Lookup(b); !ok || c.Reports != 30 {
		t.Errorf("Lookup(%s) = %+v, %v", b, c, ok)
	}
	m := DefaultMenu(8, 5)
	for h, first := range map[time.Duration]hexgrid.Cell{14 * 24 * time.Hour: b, 28 * 24 * time.Hour: a} {
		r := out.Result(m.Params(in.Cutoff, 8, 364*24*time.Hour, "", h))
		if len(r.Cells) != 2 || r.Cells[0].Cell != first || r.StudyCells != 4000 {
			t.Errorf("half-life %v: cells %+v, want %s first", h, r.Cells, first)
		}
	}
	p := m.Params(in.Cutoff, 8, 364*24*time.Hour, "", 28*24*time.Hour)
	p.BBox = &orb.Bound{Min: orb.Point{0.1, 52.1}, Max: orb.Point{0.2, 52.3}}
	if r := out.Result(p); len(r.Cells) != 1 || r.Cells[0].Cell != a {
		t.Errorf("a bbox around %s: %+v", a, r.Cells)
	}
}

func TestMenuCoversThePublishedParameters(t *testing.T) {
	m := DefaultMenu(8, 5)
	if got, want := m.Tables(), 3*3*13; got != want {
		t.Errorf("%d tables, want %d", got, want)
	}
	p := m.Params(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), 7, 91*24*time.Hour, "weapons", 14*24*time.Hour)
	if p.Release == nil || p.Release.K != 5 || p.Res != 7 || !reflect.DeepEqual(p.Categories, []string{"weapons"}) ||
		p.AsOf.Sub(p.From).Round(24*time.Hour) != 91*24*time.Hour || p.K != hotspot.PublishedK {
		t.Errorf("params %+v", p)
	}
}
