package intel

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestCSVRecordReadsBack writes a report as a CSV row of CSVColumns and
// reads it back through the CSV reader and the validator.
func TestCSVRecordReadsBack(t *testing.T) {
	v := testValidator(t)
	prec := 50.0
	want, verr := v.Validate(Submission{
		ExternalRef: "CSV-1", Category: "drug_supply", Indicators: []string{"multiple_phones", "found_out_of_area"},
		ObservedAt: time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), Location: []byte(`{"lat":52.2053,"lon":0.1218}`),
		PrecisionM: &prec, Grading: &Grading{Source: 2, Assessment: "B", Handling: "C", Conditions: "not to be shared, outside the partnership"},
		Classification: "OFFICIAL", Narrative: "Seen, with a comma, and \"quotes\".",
	})
	if verr != nil {
		t.Fatal(verr)
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	if err := errors.Join(w.Write(CSVColumns), w.Write(CSVRecord(want))); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	rr, err := NewCSVReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	row, err := rr.Next()
	if err != nil {
		t.Fatal(err)
	}
	got, verr := v.Validate(row.Sub)
	if verr != nil {
		t.Fatal(verr)
	}
	if !bytes.Equal(got.ContentHash(), want.ContentHash()) {
		t.Fatalf("read back as %+v, want %+v", got, want)
	}
}
