package server

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// TestVisibilityByRole is the table of what each role sees of a report of
// its own agency and of another's, live and waiting for evaluation: the
// rules of reportView, gradingOf and reportFeature, without a database.
func TestVisibilityByRole(t *testing.T) {
	own, other := uuid.New(), uuid.New()
	report := func(agency uuid.UUID, status string) intel.Report {
		return intel.Report{ID: uuid.New(), AgencyID: agency, Status: status, Category: "drug_supply", Narrative: "sanitised",
			OriginalNarrative: "as sent", ObservedAt: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), Seq: 42,
			Grading: intel.Grading{Source: 2, Assessment: "B", Handling: "P"}}
	}
	type seen struct{ visible, narrative, grading, seq bool }
	for _, c := range []struct {
		role                                         auth.Role
		ownLive, otherLive, ownPending, otherPending seen
	}{
		{auth.Partner, seen{true, true, true, false}, seen{}, seen{true, true, false, false}, seen{}},
		{auth.Analyst, seen{true, true, true, true}, seen{true, true, true, true}, seen{true, true, false, true}, seen{}},
		{auth.Chair, seen{}, seen{}, seen{}, seen{}},
		{auth.Admin, seen{}, seen{}, seen{}, seen{}},
		{auth.Evaluator, seen{true, true, true, true}, seen{true, true, true, true}, seen{true, true, false, true}, seen{true, true, false, true}},
	} {
		p := &auth.Principal{Role: c.role, AgencyID: own}
		for name, tt := range map[string]struct {
			r    intel.Report
			want seen
		}{
			"own live": {report(own, intel.StatusLive), c.ownLive}, "other's live": {report(other, intel.StatusLive), c.otherLive},
			"own pending": {report(own, intel.StatusPending), c.ownPending}, "other's pending": {report(other, intel.StatusPending), c.otherPending},
		} {
			visible, narrative := reportView(p, tt.r)
			got := seen{visible: visible, narrative: narrative}
			if visible {
				props := reportFeature(p, tt.r).Properties
				got.grading = gradingOf(p, tt.r) != nil && props["grading"] != (*intel.Grading)(nil)
				_, got.seq = props["seq"]
				if _, shown := props["narrative"]; shown != narrative {
					t.Errorf("%s, %s: narrative in the feature %v, allowed %v", c.role, name, shown, narrative)
				}
				if n := props["narrative"]; narrative && !p.Can(auth.ReadAllReports) && n != "as sent" {
					t.Errorf("%s, %s: the submitting agency reads %q, want what it sent", c.role, name, n)
				}
			}
			if got != tt.want {
				t.Errorf("%s, %s: got %+v, want %+v", c.role, name, got, tt.want)
			}
		}
	}
}
