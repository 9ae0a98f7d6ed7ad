package snapshot

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func content(cells ...FrozenCell) Content {
	return Content{Title: "t", MeetingDate: "2026-12-03", Parameters: []byte(`{}`), Classification: Official, Cells: cells}
}

func TestCompare(t *testing.T) {
	before := content(
		FrozenCell{Cell: "a", Score: 10}, FrozenCell{Cell: "b", Score: 10}, FrozenCell{Cell: "c", Score: 10}, FrozenCell{Cell: "gone", Score: 4},
	)
	this := content(
		FrozenCell{Cell: "a", Score: 12, Rank: 1},   // +20 %: rising
		FrozenCell{Cell: "b", Score: 10.5, Rank: 2}, // +5 %: steady
		FrozenCell{Cell: "new", Score: 7, Rank: 3},
		FrozenCell{Cell: "c", Score: 8, Rank: 4}, // −20 %: falling
	)
	want := map[string]string{"a": Rising, "b": Steady, "new": New, "c": Falling, "gone": Gone}
	got := Compare(this, before)
	if len(got) != len(want) {
		t.Fatalf("got %d changes, want %d: %+v", len(got), len(want), got)
	}
	for _, ch := range got {
		if ch.Status != want[ch.Cell] {
			t.Errorf("cell %s: got %s, want %s", ch.Cell, ch.Status, want[ch.Cell])
		}
	}
	if got[len(got)-1].Cell != "gone" || got[len(got)-1].Delta != -4 {
		t.Errorf("the gone cell comes last with its loss: %+v", got[len(got)-1])
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
	b := CSV(c, nil)
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
