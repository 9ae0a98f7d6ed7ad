package hotspot

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/intel"
)

func TestParseBBox(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [4]float64
		msg  string // a part of the message; "" for none
	}{
		{"0.05,52.1,0.2,52.3", [4]float64{0.05, 52.1, 0.2, 52.3}, ""},
		{" 0.05 , 52.1 ,0.2, 52.3 ", [4]float64{0.05, 52.1, 0.2, 52.3}, ""},
		{"0.05,52.1,0.2", [4]float64{}, "west,south,east,north"},
		{"0.05,52.1,0.2,north", [4]float64{}, "four finite numbers"},
		{"NaN,52.1,0.2,52.3", [4]float64{}, "four finite numbers"},
		{"0,52,181,53", [4]float64{}, "four finite numbers"},
		{"0,-91,1,0", [4]float64{}, "latitudes"},
		{"0.2,52.1,0.05,52.3", [4]float64{}, "inverted"},
		{"0,52,0,53", [4]float64{}, "inverted or empty"},
		{"-10,40,10,60", [4]float64{}, "square degrees"},
	} {
		got, msg := intel.ParseBBox(tc.in, MaxBBoxArea)
		switch {
		case tc.msg == "" && (msg != "" || got != tc.want):
			t.Errorf("ParseBBox(%q) = %v, %q; want %v", tc.in, got, msg, tc.want)
		case tc.msg != "" && !strings.Contains(msg, tc.msg):
			t.Errorf("ParseBBox(%q): message %q, want one saying %q", tc.in, msg, tc.msg)
		}
	}
}

// TestParseReadsTextAndJSONAlike parses the same query from a query
// string's text and from a snapshot's JSON parameters (numbers, booleans
// and lists as JSON), and checks the limits name the fields they refuse.
func TestParseReadsTextAndJSONAlike(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	retention := 2190 * 24 * time.Hour
	fromText, errs := Parse(Values{"res": "8", "window": "91d", "half_life": "14d", "categories": "drug_supply,weapons", "fdr": "true", "k": "2"}, now, retention)
	if errs != nil {
		t.Fatal(errs)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(`{"res": 8, "window": "91d", "half_life": "14d", "categories": ["drug_supply", "weapons"], "fdr": true, "k": 2, "period": null}`), &m); err != nil {
		t.Fatal(err)
	}
	v, errs := ValuesOfJSON(m)
	if errs != nil {
		t.Fatal(errs)
	}
	fromJSON, errs := Parse(v, now, retention)
	if errs != nil {
		t.Fatal(errs)
	}
	if !reflect.DeepEqual(fromText, fromJSON) {
		t.Fatalf("text gives %+v, JSON %+v", fromText, fromJSON)
	}
	if fromText.Period != DefaultPeriod || fromText.MinAssessment != "D" || !fromText.AsOf.Equal(now) || fromText.AsOf.Sub(fromText.From) != 91*24*time.Hour {
		t.Fatalf("defaults not filled in: %+v", fromText)
	}

	_, errs = Parse(Values{"res": "11", "k": "0", "half_life": "30m", "window": "3000d", "colour": "red", "bbox": "1,2,3"}, now, retention)
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	want := []string{"colour", "res", "k", "window", "half_life", "bbox"}
	if !reflect.DeepEqual(fields, want) {
		t.Fatalf("refused %v (%v), want %v", fields, errs, want)
	}
	m = nil
	if err := json.Unmarshal([]byte(`{"res": {"a": 1}, "categories": [{"code": "weapons"}], "k": 1}`), &m); err != nil {
		t.Fatal(err)
	}
	if _, errs := ValuesOfJSON(m); len(errs) != 2 || errs[0].Field != "categories" || errs[1].Field != "res" {
		t.Fatalf("an object and a list of objects as values: %v", errs)
	}
}
