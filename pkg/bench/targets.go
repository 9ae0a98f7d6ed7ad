package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// Target is a bound a figure of the benchmark must keep.
type Target struct {
	// AtMost bounds the figure from above; otherwise from below.
	AtMost bool
	Value  float64
	Unit   string
}

func (t Target) String() string {
	op := "≥"
	if t.AtMost {
		op = "≤"
	}
	v := strings.Replace(strconv.FormatFloat(t.Value, 'g', -1, 64), "e-0", "e-", 1)
	if t.Value >= 1000 && t.Value == float64(int64(t.Value)) {
		v = fmt.Sprintf("%d,%03d", int64(t.Value)/1000, int64(t.Value)%1000)
	}
	if t.Unit == "" {
		return op + " " + v
	}
	return op + " " + v + " " + t.Unit
}

// met reports whether v keeps the bound.
func (t Target) met(v float64) bool {
	if t.AtMost {
		return v <= t.Value
	}
	return v >= t.Value
}

// Targets are every bound make bench checks, by the figure they bound:
// the one place they are written.
var Targets = map[string]Target{
	"start":          {AtMost: true, Value: 5, Unit: "s"},
	"rss":            {AtMost: true, Value: 300, Unit: "MB"},
	"whole-area-p95": {AtMost: true, Value: 50, Unit: "ms"},
	"sql-difference": {AtMost: true, Value: 1e-9},
	"throughput":     {Value: 2000, Unit: "requests/s"},
	"failed":         {AtMost: true, Value: 0, Unit: "failed requests"},
	// Ratios within one run.
	"ingest-of-copy":  {Value: 0.6, Unit: "of the single COPY"},
	"best-sql-ratio":  {Value: 40, Unit: "× faster than the best SQL"},
	"tail":            {AtMost: true, Value: 2.5, Unit: "× p50 at p95"},
	"growth-p95-grow": {AtMost: true, Value: 3, Unit: "× the p95 at the first size"},
}
