package snapshot

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/places"
)

func content(cells ...FrozenCell) Content {
	return Content{Title: "t", MeetingDate: "2026-12-03", Parameters: []byte(`{}`), Classification: Official, Cells: cells}
}

// TestCompare classifies the cells of two snapshots and names them as
// Labels does: by place, then by where they lie from it when they share it.
func TestCompare(t *testing.T) {
	north, err := hexgrid.Of(52.5920, -0.2560, 8) // a kilometre north of Millfield
	if err != nil {
		t.Fatal(err)
	}
	before := content(
		FrozenCell{Cell: "a", Score: 10}, FrozenCell{Cell: "b", Score: 10}, FrozenCell{Cell: "c", Score: 10},
		FrozenCell{Cell: north.String(), Score: 4, Place: "Millfield"},
	)
	this := content(
		FrozenCell{Cell: "a", Score: 12, Rank: 1, Place: "Millfield", Lat: 52.5820, Lon: -0.2460},   // +20 %: rising
		FrozenCell{Cell: "b", Score: 10.5, Rank: 2, Place: "Millfield", Lat: 52.5820, Lon: -0.2560}, // +5 %: steady
		FrozenCell{Cell: "new", Score: 7, Rank: 3, Place: "Orton"},
		FrozenCell{Cell: "c", Score: 8, Rank: 4, Place: "Yaxley"}, // −20 %: falling
	)
	ps := []places.Place{{Name: "Millfield", Lat: 52.5820, Lon: -0.2560}, {Name: "Orton", Lat: 52.5450, Lon: -0.2850}}
	want := map[string]string{"a": Rising, "b": Steady, "new": New, "c": Falling, north.String(): Gone}
	labels := map[string]string{"a": "Millfield, 0.7 km E", "b": "Millfield, centre", "new": "Orton", "c": "Yaxley", north.String(): "Millfield, 1.1 km N"}
	got := Compare(this, before, ps)
	if len(got) != len(want) {
		t.Fatalf("got %d changes, want %d: %+v", len(got), len(want), got)
	}
	for _, ch := range got {
		if ch.Status != want[ch.Cell] {
			t.Errorf("cell %s: got %s, want %s", ch.Cell, ch.Status, want[ch.Cell])
		}
		if ch.Label != labels[ch.Cell] {
			t.Errorf("cell %s: labelled %q, want %q", ch.Cell, ch.Label, labels[ch.Cell])
		}
	}
	if last := got[len(got)-1]; last.Cell != north.String() || last.Delta != -4 {
		t.Errorf("the gone cell comes last with its loss: %+v", last)
	}
}

func TestEncodeIsCanonical(t *testing.T) {
	c := content(FrozenCell{Cell: "a", Categories: map[string]int{"violence": 1, "cuckooing": 2, "drug_supply": 3}})
	b1, h1, _ := Encode(c)
	for range 20 {
		b2, h2, _ := Encode(c)
		if !bytes.Equal(b1, b2) || h1 != h2 {
			t.Fatal("encoding the same content twice gave other bytes")
		}
	}
	back, err := Decode(b1)
	if err != nil {
		t.Fatal(err)
	}
	if b3, _, _ := Encode(back); !bytes.Equal(b1, b3) {
		t.Fatal("decoding and encoding again changed the bytes")
	}
}

func TestCSVNeutralisesFormulas(t *testing.T) {
	c := content(FrozenCell{Cell: "8819", Rank: 1, Score: 3, Lat: 52.5, Lon: -0.25, Place: `=HYPERLINK("http://x")`},
		FrozenCell{Cell: "881a", Rank: 2, Score: 2, Lat: 52.4, Lon: 0.1, Place: "@SUM(A1)"},
		FrozenCell{Cell: "881b", Rank: 3, Score: 1, Lat: 52.3, Lon: 0.2, Place: "+cmd", Trend: "-x"})
	b := CSV(c, nil, nil, nil)
	if !bytes.HasPrefix(b, []byte("\uFEFF")) || !bytes.Contains(b, []byte("\r\n")) {
		t.Fatal("the CSV lacks its BOM or CRLF line ends")
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") || len(rows) != 4 {
		t.Fatalf("rows: %q", rows)
	}
	for _, r := range rows[1:] {
		for _, cell := range r {
			if cell != "" && strings.ContainsAny(cell[:1], "=+@\t\r") {
				t.Errorf("cell %q would run as a formula", cell)
			}
		}
	}
	if rows[1][3] != "-0.250000" {
		t.Errorf("a negative longitude must stay a number, got %q", rows[1][3])
	}
	if rows[3][11] != "'-x" {
		t.Errorf("a text cell starting with - must be neutralised, got %q", rows[3][11])
	}
}
