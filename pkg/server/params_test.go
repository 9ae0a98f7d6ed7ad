package server

import (
	"strings"
	"testing"
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
		got, msg := parseBBox(tc.in)
		switch {
		case tc.msg == "" && (msg != "" || got != tc.want):
			t.Errorf("parseBBox(%q) = %v, %q; want %v", tc.in, got, msg, tc.want)
		case tc.msg != "" && !strings.Contains(msg, tc.msg):
			t.Errorf("parseBBox(%q): message %q, want one saying %q", tc.in, msg, tc.msg)
		}
	}
}
