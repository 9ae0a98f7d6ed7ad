package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// demoLocation is a DEMO location of concern: a cell at resolution 8 and
// its ring, with reports planted in it and in its buffer in the weeks
// before and after its first action, so that its evaluation shows one
// outcome.
type demoLocation struct {
	name     string
	lat, lon float64
	// area and buffer: reports before and after the date.
	a0, a1, b0, b1 int
	outcome        string
	actions        []demoAction
}

type demoAction struct {
	tactic, agency, status string
	dueWeeks               int // after the date
}

// demoLocations show, in order: success with no displacement, displacement
// to next door, diffusion of benefit, and too few reports to say.
var demoLocations = []demoLocation{
	{"DEMO Chatteris precinct", 52.4560, 0.0540, 60, 20, 100, 100, "success", []demoAction{
		{"closure_order", "DEMO Police", "done", 2}, {"detached_youth_work", "DEMO City Council", "in_progress", 12}}},
	{"DEMO March station approach", 52.5510, 0.0880, 60, 20, 30, 60, "displacement", []demoAction{
		{"patrol_plan", "DEMO Police", "done", 4}, {"operation_makesafe", "DEMO City Council", "planned", 1}}},
	{"DEMO St Neots riverside", 52.2290, -0.2700, 60, 20, 40, 15, "diffusion of benefit", []demoAction{
		{"environmental_change", "DEMO City Council", "done", 3}, {"school_engagement", "DEMO Schools Partnership", "in_progress", 10}}},
	{"DEMO Ramsey lane", 52.4490, -0.1060, 2, 1, 1, 1, "too few reports", []demoAction{
		{"cuckooing_visit", "DEMO Police", "planned", 1}}},
}

// demoEvalWeeks are the weeks before and after each DEMO location's date.
const demoEvalWeeks = 8

// demoLocationsLoad plants the DEMO locations' reports (drug supply graded
// 1A, of the police and the council by turns), records the locations as
// agreed a week before their date, and their actions; the date is the
// Monday nine weeks back, so that eight whole weeks after it have passed.
func (op *operator) demoLocationsLoad(ctx context.Context, v *intel.Validator) error {
	existing, err := op.db.Locations(ctx, uuid.Nil)
	if err != nil {
		return err
	}
	for _, l := range existing {
		if l.Name == demoLocations[0].name {
			fmt.Fprintln(op.env.stderr, "DEMO locations of concern are recorded already: none added")
			return nil
		}
	}
	at := hotspot.WeekStart(time.Now()).AddDate(0, 0, -7*(demoEvalWeeks+1))
	agencies := map[string]uuid.UUID{}
	for _, a := range demoAgencies {
		ag, err := op.db.AgencyByName(ctx, a.name)
		if err != nil {
			return err
		}
		agencies[a.name] = ag.ID
	}
	var reports []intel.Report
	n := 0
	plant := func(lat, lon float64, from time.Time, count int) error {
		for i := range count {
			week := from.AddDate(0, 0, 7*(i%demoEvalWeeks))
			body, err := json.Marshal(map[string]any{"external_ref": fmt.Sprintf("DEMO-LOC-%05d", n), "category": "drug_supply",
				"observed_at": week.AddDate(0, 0, 1+i%5).Add(15 * time.Hour).UTC().Format(time.RFC3339),
				"location":    map[string]float64{"lat": lat, "lon": lon}, "precision_m": 25, "classification": "OFFICIAL",
				"grading": map[string]any{"source": 1, "assessment": "A", "handling": "P"}})
			if err != nil {
				return err
			}
			sub, errs := intel.DecodeSubmission(body)
			if errs != nil {
				return errs
			}
			r, verr := v.Validate(sub)
			if verr != nil {
				return fmt.Errorf("DEMO location report: %w", verr)
			}
			r.ID, r.AgencyID = uuid.Must(uuid.NewV7()), agencies[[]string{"DEMO Police", "DEMO City Council"}[n%2]]
			reports = append(reports, r)
			n++
		}
		return nil
	}
	for _, l := range demoLocations {
		centre, err := hexgrid.Of(l.lat, l.lon, 8)
		if err != nil {
			return err
		}
		buffer, err := hexgrid.Buffer([]hexgrid.Cell{centre}, 2)
		if err != nil {
			return err
		}
		// A buffer cell two steps out: outside the area (the centre and its ring).
		var near hexgrid.Cell
		for _, c := range buffer {
			if d, _ := centre.Disk(1); !slices.Contains(d, c) {
				near = c
				break
			}
		}
		ll, err := near.Center()
		if err != nil {
			return err
		}
		before := at.AddDate(0, 0, -7*demoEvalWeeks)
		for _, p := range []struct {
			lat, lon float64
			from     time.Time
			n        int
		}{{l.lat, l.lon, before, l.a0}, {l.lat, l.lon, at, l.a1}, {ll.Lat(), ll.Lon(), before, l.b0}, {ll.Lat(), ll.Lon(), at, l.b1}} {
			if err := plant(p.lat, p.lon, p.from, p.n); err != nil {
				return err
			}
		}
	}
	ev := op.event(store.ActionCollect)
	ev.Justification = "DEMO synthetic dataset"
	if _, err := op.db.InsertReports(ctx, reports, ev); err != nil {
		return err
	}
	for _, l := range demoLocations {
		centre, _ := hexgrid.Of(l.lat, l.lon, 8)
		disk, err := centre.Disk(1)
		if err != nil {
			return err
		}
		outline, err := hexgrid.Outline(disk)
		if err != nil {
			return err
		}
		cells := make([]int64, len(disk))
		for i, c := range disk {
			cells[i] = int64(c)
		}
		review := at.AddDate(0, 0, 7*(demoEvalWeeks+4))
		loc, err := op.db.CreateLocation(ctx, store.Location{ID: uuid.Must(uuid.NewV7()), Name: l.name, MeetingRef: "DEMO MACE " + at.AddDate(0, 0, -7).Format(time.DateOnly),
			OwnerAgencyID: agencies["DEMO Police"], ReviewDate: &review, CreatedBy: op.actor,
			Area: store.LocationArea{Res: 8, Cells: cells, Outline: outline, ValidFrom: at.AddDate(0, 0, -7)}}, ev)
		if err != nil {
			return err
		}
		for _, a := range l.actions {
			if _, err := op.db.CreateAction(ctx, store.Action{ID: uuid.Must(uuid.NewV7()), LocationID: loc.ID, Tactic: a.tactic, OwnerAgencyID: agencies[a.agency],
				StartDate: at, DueDate: at.AddDate(0, 0, 7*a.dueWeeks), Status: a.status, CreatedBy: op.actor}, ev); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(op.env.stderr, "DEMO locations of concern: %d, with %d reports planted around them (success, displacement, diffusion of benefit, too few reports)\n",
		len(demoLocations), len(reports))
	return nil
}
