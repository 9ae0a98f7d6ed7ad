package bench

import (
	"io"
	"strings"
	"testing"
)

// TestMissedTargetsFailTheRun checks figures on both sides of their
// targets: a missed one is marked in the table and fails the run.
func TestMissedTargetsFailTheRun(t *testing.T) {
	r := &run{opt: Options{Progress: io.Discard}, res: &Result{}}
	r.add("Start to ready", "4.50 s", "", check{"start", 4.5})
	r.add("Throughput", "1826 requests/s", "0 failed", check{"throughput", 1826}, check{"failed", 0})
	r.add("Baseline", "p50 145 ms", "")
	failed := r.res.Failed()
	if len(failed) != 1 || failed[0].Measure != "Throughput" || strings.Join(failed[0].Missed, "") != "≥ 2,000 requests/s" {
		t.Fatalf("failed rows: %+v", failed)
	}
	md := string(r.res.Markdown(Options{}))
	for _, want := range []string{
		"| Start to ready | 4.50 s |  | ≤ 5 s | pass |",
		"| Throughput | 1826 requests/s | 0 failed | ≥ 2,000 requests/s, ≤ 0 failed requests | MISSED ≥ 2,000 requests/s |",
		"| Baseline | p50 145 ms |  |  |  |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the table lacks %q:\n%s", want, md)
		}
	}
}
