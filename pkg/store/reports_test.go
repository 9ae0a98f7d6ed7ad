package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// observedAt is one instant for every report of the package's tests, so
// that two reports built a second apart are still the same content.
var observedAt = time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)

func validReport(t *testing.T, agency uuid.UUID, ref, category string) intel.Report {
	t.Helper()
	return validReportAt(t, agency, ref, category, 52.2, 0.12, observedAt)
}

// validReportAt is a valid report observed at (lat, lon) at observed
// (RFC 3339).
func validReportAt(t *testing.T, agency uuid.UUID, ref, category string, lat, lon float64, observed string) intel.Report {
	t.Helper()
	area, err := intel.LoadServiceArea("")
	if err != nil {
		t.Fatal(err)
	}
	v := &intel.Validator{Area: area, Retention: 2190 * 24 * time.Hour, Skew: time.Minute, Now: time.Now}
	b, _ := json.Marshal(map[string]any{"external_ref": ref, "category": category, "observed_at": observed,
		"location": map[string]float64{"lat": lat, "lon": lon}, "grading": map[string]any{"source": 1, "assessment": "A", "handling": "P"},
		"classification": "OFFICIAL"})
	sub, errs := intel.DecodeSubmission(b)
	if errs != nil {
		t.Fatal(errs)
	}
	r, verr := v.Validate(sub)
	if verr != nil {
		t.Fatal(verr)
	}
	r.ID, r.AgencyID = uuid.Must(uuid.NewV7()), agency
	return r
}

// Both ways of storing a batch give the same outcomes, within the batch
// and against what is stored.
func TestInsertReportsOutcomes(t *testing.T) {
	db := storetest.DB(t)
	ctx := context.Background()
	ev := store.AuditEvent{Action: store.ActionCollect, Actor: "test"}
	for _, path := range []struct {
		name   string
		insert func(context.Context, []intel.Report, store.AuditEvent) ([]store.Outcome, error)
	}{{"direct", db.InsertReports}, {"staged", db.InsertReportsStaged}} {
		t.Run(path.name, func(t *testing.T) {
			a, err := db.CreateAgency(ctx, "Outcomes "+path.name+" "+uuid.NewString()[:8], "police", ev)
			if err != nil {
				t.Fatal(err)
			}
			first := validReport(t, a.ID, "x", "drug_supply")
			same := validReport(t, a.ID, "x", "drug_supply")
			other := validReport(t, a.ID, "x", "violence")
			out, err := path.insert(ctx, []intel.Report{first, same, other, validReport(t, a.ID, "y", "weapons")}, ev)
			if err != nil {
				t.Fatal(err)
			}
			want := []store.Outcome{{first.ID, store.Created}, {first.ID, store.Duplicate}, {first.ID, store.Conflict}}
			for i, w := range want {
				if out[i] != w {
					t.Errorf("row %d: got %+v, want %+v", i, out[i], w)
				}
			}
			if out[3].Status != store.Created {
				t.Errorf("row 3: got %+v, want created", out[3])
			}
			again, err := path.insert(ctx, []intel.Report{validReport(t, a.ID, "x", "drug_supply"), validReport(t, a.ID, "y", "violence")}, ev)
			if err != nil {
				t.Fatal(err)
			}
			if again[0] != (store.Outcome{first.ID, store.Duplicate}) || again[1].Status != store.Conflict || again[1].ID != out[3].ID {
				t.Errorf("against stored reports: %+v", again)
			}
			stored, err := db.Report(ctx, first.ID)
			if err != nil || stored.Category != "drug_supply" || stored.Location.Lat < 52.19 || stored.Seq == 0 {
				t.Fatalf("stored report: %+v, %v", stored, err)
			}
		})
	}
}
