package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// seed adds, for each sample file, its first line (a CSV header) with each
// of the following lines: small inputs mutate fast, and each kind of row
// in the samples is a starting point.
func seed(f *testing.F, files ...string) {
	for _, name := range files {
		lines := bytes.SplitAfter(readAll(f, name), []byte("\n"))
		for _, line := range lines[1:] {
			f.Add(append(append([]byte(nil), lines[0]...), line...))
		}
	}
}

// drain reads every row; it must end, and every row must carry its number.
// (What the rows hold is FuzzValidate's business.)
func drain(t *testing.T, rr RowReader) {
	for i := 0; ; i++ {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("row %d: an error that is not a FileError: %v", i, err)
			}
			return
		}
		if row.N < 1 {
			t.Fatalf("row without a number: %+v", row)
		}
	}
}

func testValidator(t testing.TB) *Validator {
	area, err := LoadServiceArea("")
	if err != nil {
		t.Fatal(err)
	}
	return &Validator{Area: area, Retention: 2190 * 24 * time.Hour, Skew: 5 * time.Minute, Now: time.Now}
}

func FuzzCSVReader(f *testing.F) {
	seed(f, "reports.csv", "bad-rows.csv")
	f.Fuzz(func(t *testing.T, b []byte) {
		rr, err := NewCSVReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		drain(t, rr)
	})
}

func FuzzNDJSONReader(f *testing.F) {
	seed(f, "reports.ndjson")
	f.Fuzz(func(t *testing.T, b []byte) { drain(t, NewNDJSONReader(bytes.NewReader(b))) })
}

func FuzzGeoJSONReader(f *testing.F) {
	// The first features of the sample: small inputs mutate faster.
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(readAll(f, "reports.geojson"), &fc); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"type":"FeatureCollection","features":[` + string(bytes.Join([][]byte(toBytes(fc.Features[:3])), []byte(","))) + `]}`))
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[544895,258431]},"properties":{"external_ref":"x","category":"drug_supply","observed_at":"2026-03-01T10:00:00Z","grading":{"source":1,"assessment":"A","handling":"P"},"classification":"OFFICIAL"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) { drain(t, NewGeoJSONReader(bytes.NewReader(b))) })
}

// FuzzValidate checks that whatever passes validation is a report hexwatch
// can store: inside the service area, with a cell, a known category and a
// grading that scores between 0 and 1.
func FuzzValidate(f *testing.F) {
	for _, line := range bytes.Split(readAll(f, "reports.ndjson"), []byte("\n")) {
		f.Add(line)
	}
	v := testValidator(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		sub, errs := DecodeSubmission(b)
		if errs != nil {
			return
		}
		r, verr := v.Validate(sub)
		if verr != nil {
			if len(verr) == 0 {
				t.Fatal("a refusal without reasons")
			}
			return
		}
		if !v.Area.Contains(r.Location) || r.Cell == 0 || r.ObservedAt.IsZero() {
			t.Fatalf("accepted a report hexwatch cannot store: %+v", r)
		}
		if _, ok := CategoryByCode(r.Category); !ok {
			t.Fatalf("accepted category %q", r.Category)
		}
		if q := r.Grading.Confidence(); q < 0 || q > 1 {
			t.Fatalf("confidence %v", q)
		}
	})
}

func toBytes(rs []json.RawMessage) [][]byte {
	out := make([][]byte, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return out
}

func readAll(f *testing.F, name string) []byte {
	b, err := os.ReadFile("../../testdata/" + name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
