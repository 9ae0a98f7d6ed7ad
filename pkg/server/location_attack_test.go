package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/release"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// The attacks a partner's key or a chair could make through locations of
// concern on the weekly releases: two locations differing by one cell,
// one-cell locations, a threshold walk of the weeks after a date as
// releases come, and dates a day apart (an action's start). Each claim is
// checked against the raw reports; the subtraction runs on exact figures
// too, where it must succeed.

type evalFigure struct {
	Reports *int
	Harm    *float64
}

type evalRegion struct {
	Cells         int
	Before, After evalFigure
}

type evalBody struct {
	Release    *string
	WeeksAfter int `json:"weeks_after"`
	Regions    struct{ Area, Buffer, Control evalRegion }
}

// evaluation asks caller for the evaluation of loc at and weeks.
func (f *fixture) evaluation(tl *tally, caller, loc string, at time.Time, weeks int) (evalBody, []byte) {
	f.t.Helper()
	tl.requests++
	r := f.json(caller, http.MethodGet, fmt.Sprintf("/api/v1/locations/%s/evaluation?at=%s&weeks=%d", loc, at.In(hotspot.London).Format(time.DateOnly), weeks), nil)
	if r.StatusCode != http.StatusOK {
		f.t.Fatalf("%s: evaluation of %s at %s: %d %s", caller, loc, at, r.StatusCode, r.body)
	}
	var out evalBody
	mustJSON(f.t, r.body, &out)
	return out, r.body
}

// inWeeks counts the reports of rs in cells (at their resolution) observed
// in the weeks [from, to) and counted before the cut-off cutoff (each
// counts two days after it was observed: see loadDemoAt).
func inWeeks(rs []truth, cells []hexgrid.Cell, from, to, cutoff time.Time) int {
	n := 0
	for _, c := range cells {
		n += matches(rs, c, func(r truth) bool {
			w := hotspot.WeekStart(r.at)
			return !w.Before(from) && w.Before(to) && r.grading[1:] != "E" && r.at.Add(48*time.Hour).Before(cutoff)
		})
	}
	return n
}

func TestAttacksOnLocations(t *testing.T) {
	f, all := attackData(t, 8000)
	// The attacker spaces its requests under the rate limit; the test does not wait.
	// and over as many days as it needs: the budget slows an attacker, the
	// releases' rules are what must hold, so the test lifts it.
	f.reconfigure(func(cfg *config.Config) { cfg.RateLimit, cfg.PublishedBudget = 0, 1<<20 })
	attacker := f.agencyA.ID
	rs := others(all, attacker)
	own := func(cells []hexgrid.Cell, from, to, cutoff time.Time) int {
		return inWeeks(all, cells, from, to, cutoff) - inWeeks(rs, cells, from, to, cutoff)
	}
	report := func(name string, published, control tally) {
		t.Helper()
		t.Logf("%-44s partner/chair: %v; control: %v", name, published, control)
		if published.recovered != 0 {
			t.Errorf("%s: %d reports recovered", name, published.recovered)
		}
		if control.recovered == 0 {
			t.Errorf("%s: the attack recovers nothing even where it must: it tests nothing", name)
		}
	}

	// The chair draws locations around the busiest cells of the analyst's
	// map: each pair differs by one cell; and one-cell locations.
	var fc attackFC
	var setup tally
	f.attackGet(&setup, "analyst", "/api/v1/hotspots?res=8&window=364d&as_of="+attackAnchor.Format(time.DateOnly), &fc)
	type pair struct {
		big, small string
		extra      hexgrid.Cell
	}
	var pairs []pair
	var singles []string
	singleCell := map[string]hexgrid.Cell{}
	create := func(name string, cells []hexgrid.Cell) string {
		ids := make([]string, len(cells))
		for i, c := range cells {
			ids[i] = c.String()
		}
		r := f.json("chair", http.MethodPost, "/api/v1/locations", map[string]any{"name": name, "owner_agency": f.agencyA.Name, "cells": ids})
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("location %s: %d %s", name, r.StatusCode, r.body)
		}
		var out struct{ ID string }
		mustJSON(t, r.body, &out)
		return out.ID
	}
	for i, feat := range fc.Features[:min(12, len(fc.Features))] {
		c, _ := hexgrid.Parse(feat.ID)
		disk, _ := c.Disk(1)
		extra := disk[len(disk)-1]
		pairs = append(pairs, pair{big: create(fmt.Sprintf("Block %d", i), disk), small: create(fmt.Sprintf("Block %d less one", i), disk[:len(disk)-1]), extra: extra})
	}
	// A chair's averaging attack: one cell added to many different areas.
	type padded struct {
		target     hexgrid.Cell
		big, small []string
	}
	var paddings []padded
	for i, p := range pairs[:8] {
		pd := padded{target: p.extra}
		for j := range 4 {
			c, _ := hexgrid.Parse(fc.Features[12+(i*4+j)%max(1, len(fc.Features)-12)].ID)
			disk, _ := c.Disk(1)
			var cells []hexgrid.Cell
			for _, d := range disk {
				if d != p.extra {
					cells = append(cells, d)
				}
			}
			pd.big = append(pd.big, create(fmt.Sprintf("Padded %d-%d", i, j), append(append([]hexgrid.Cell{}, cells...), p.extra)))
			pd.small = append(pd.small, create(fmt.Sprintf("Padded %d-%d less one", i, j), cells))
		}
		paddings = append(paddings, pd)
	}
	for i, feat := range fc.Features[:min(60, len(fc.Features))] {
		c, _ := hexgrid.Parse(feat.ID)
		id := create(fmt.Sprintf("Stairwell %d", i), []hexgrid.Cell{c})
		singles = append(singles, id)
		singleCell[id] = c
	}
	// As if drawn two years ago: every release of the attack holds them.
	backdateAreas(t, f, 2*365*24*time.Hour)
	cutoffs := weeksBack(10) // newest first
	walkFrom := cutoffs[len(cutoffs)-1].AddDate(0, 0, -7*10)

	// The threshold walk: as each release comes, the weeks after a fixed
	// date grow by one; a one-cell location hidden in one release and shown
	// in the next is claimed to have gained a report in the week between.
	shownAfter := map[string][]bool{}
	var harmChecked, countChecked int
	for i := len(cutoffs) - 1; i >= 0; i-- {
		f.publish(cutoffs[i])
		for _, id := range singles {
			ev, _ := f.evaluation(&setup, "partner-key", id, walkFrom, 26)
			shownAfter[id] = append(shownAfter[id], ev.Regions.Area.After.Reports != nil)
		}
	}
	t.Run("threshold walk of the weeks after a date", func(t *testing.T) {
		f.t = t
		var pub, control tally
		pub.requests = len(singles) * len(cutoffs)
		right, single, cRight, cSingle := 0, 0, 0, 0
		for _, id := range singles {
			c := []hexgrid.Cell{singleCell[id]}
			for k := 1; k < len(cutoffs); k++ {
				week := cutoffs[len(cutoffs)-k]          // the week between the two releases
				end := week.AddDate(0, 0, 7)             // the later release's cut-off
				gained := inWeeks(rs, c, week, end, end) // others' reports of that week
				if !shownAfter[id][k-1] && shownAfter[id][k] {
					pub.claims++
					if gained >= 1 {
						right++
					}
					if gained == 1 {
						single++
					}
				}
				// The rule the releases replaced: shown at K reports of others.
				before, after := inWeeks(rs, c, walkFrom, week, week), inWeeks(rs, c, walkFrom, end, end)
				if before < 5 && after >= 5 {
					control.claims++
					cRight++
					if gained == 1 {
						cSingle++
					}
				}
			}
		}
		pub.judge(right, single)
		control.judge(cRight, cSingle)
		report("threshold walk of the weeks after a date", pub, control)
	})

	latest := cutoffs[0]
	ats := []time.Time{}
	for w := 2; w <= 21; w++ {
		ats = append(ats, latest.In(hotspot.London).AddDate(0, 0, -7*w))
	}
	t.Run("two locations differing by one cell", func(t *testing.T) {
		f.t = t
		var pub, control tally
		pubRight, pubSingle, cRight := 0, 0, 0
		for _, p := range pairs {
			for _, at := range ats {
				for _, weeks := range []int{4, 8, 13} {
					from := at.AddDate(0, 0, -7*weeks)
					truthN := inWeeks(rs, []hexgrid.Cell{p.extra}, from, at, latest)
					mine := own([]hexgrid.Cell{p.extra}, from, at, latest)
					// The attacker subtracts its own reports of the extra cell.
					claim := func(tl *tally, caller string) (bool, bool) {
						big, _ := f.evaluation(tl, caller, p.big, at, weeks)
						small, _ := f.evaluation(tl, caller, p.small, at, weeks)
						b, s := big.Regions.Area.Before.Reports, small.Regions.Area.Before.Reports
						if b == nil || s == nil || *b-*s-mine != 1 {
							return false, false
						}
						tl.claims++
						return truthN == 1, true
					}
					if ok, claimed := claim(&pub, "partner-key"); claimed && ok {
						pubRight++
						pubSingle++
					}
					if ok, claimed := claim(&control, "analyst"); claimed && ok {
						cRight++
					}
				}
			}
		}
		pub.judge(pubRight, pubSingle)
		control.judge(cRight, cRight)
		t.Logf("two locations: %d of %d published claims right (an attacker needs %.0f %%)", pubRight, pub.claims, 100*confident)
		report("two locations differing by one cell", pub, control)
	})

	t.Run("one cell added to many areas, averaged", func(t *testing.T) {
		f.t = t
		var pub, control tally
		pubRight, pubSingle, cRight := 0, 0, 0
		for _, pd := range paddings {
			for _, at := range ats {
				from := at.AddDate(0, 0, -28)
				truthN := inWeeks(rs, []hexgrid.Cell{pd.target}, from, at, latest)
				mine := own([]hexgrid.Cell{pd.target}, from, at, latest)
				for _, who := range []struct {
					caller string
					tl     *tally
				}{{"partner-key", &pub}, {"analyst", &control}} {
					var diffs []int
					for i := range pd.big {
						big, _ := f.evaluation(who.tl, who.caller, pd.big[i], at, 4)
						small, _ := f.evaluation(who.tl, who.caller, pd.small[i], at, 4)
						if b, s := big.Regions.Area.Before.Reports, small.Regions.Area.Before.Reports; b != nil && s != nil {
							diffs = append(diffs, *b-*s)
						}
					}
					if len(diffs) == 0 {
						continue
					}
					sum := 0
					for _, d := range diffs {
						sum += d
						// The cell adds the same change to every area it joins.
						if who.caller == "partner-key" && d != diffs[0] {
							t.Errorf("cell %s adds %d to one area and %d to another: averaging would wear its perturbation away", pd.target, diffs[0], d)
						}
					}
					if int(math.Round(float64(sum)/float64(len(diffs))))-mine != 1 {
						continue
					}
					who.tl.claims++
					if truthN == 1 {
						if who.caller == "partner-key" {
							pubRight++
							pubSingle++
						} else {
							cRight++
						}
					}
				}
			}
		}
		pub.judge(pubRight, pubSingle)
		control.judge(cRight, cRight)
		t.Logf("averaged over padded areas: %d of %d published claims right (an attacker needs %.0f %%)", pubRight, pub.claims, 100*confident)
		report("one cell added to many areas, averaged", pub, control)
	})

	t.Run("one-cell locations show no small count", func(t *testing.T) {
		f.t = t
		var tl tally
		small := 0
		for _, id := range singles {
			c := []hexgrid.Cell{singleCell[id]}
			for _, at := range ats[:8] {
				for _, weeks := range release.EvalWeeks {
					ev, _ := f.evaluation(&tl, "chair", id, at, weeks)
					check := func(fig evalFigure, from, to time.Time) {
						if fig.Reports == nil {
							return
						}
						total := inWeeks(all, c, from, to, latest)
						// Reports outside the largest agency, of two.
						mine := own(c, from, to, latest)
						if outside := min(mine, total-mine); outside < 5 {
							small++
							t.Errorf("location %s at %s, %d weeks: shown with %d reports outside its largest agency", id, at.Format(time.DateOnly), weeks, outside)
						}
						countChecked++
						if d := math.Abs(float64(*fig.Reports - total)); d > 2 {
							t.Errorf("location %s: published %d reports, SQL-equal truth %d: off by more than the perturbation's 2", id, *fig.Reports, total)
						}
					}
					check(ev.Regions.Area.Before, at.AddDate(0, 0, -7*weeks), at)
					check(ev.Regions.Area.After, at, at.AddDate(0, 0, 7*ev.WeeksAfter))
				}
			}
		}
		t.Logf("one-cell locations: %d shown figures checked, %d below the floor", countChecked, small)
	})

	t.Run("published figures agree with SQL over the raw table", func(t *testing.T) {
		f.t = t
		var tl tally
		for _, p := range pairs {
			at := ats[3]
			ev, _ := f.evaluation(&tl, "partner-key", p.big, at, 8)
			var cells []int64
			mustSQL := func(q string, args ...any) (n int, harm float64) {
				if err := f.sql().QueryRow(context.Background(), q, args...).Scan(&n, &harm); err != nil {
					t.Fatal(err)
				}
				return n, harm
			}
			if err := f.sql().QueryRow(context.Background(), `SELECT cells FROM location_areas WHERE location_id = $1`, p.big).Scan(&cells); err != nil {
				t.Fatal(err)
			}
			from := at.AddDate(0, 0, -56)
			n, harm := mustSQL(`SELECT count(*), coalesce(sum(`+sqlWeight+`), 0) FROM reports
				WHERE status = 'live' AND assessment <> 'E' AND counted_at < $1 AND cells[3] = ANY($2) AND observed_at >= $3 AND observed_at < $4`,
				latest, cells, from, at)
			var held int // the area's cells that hold a report: each adds its own change
			if err := f.sql().QueryRow(context.Background(), `SELECT count(DISTINCT cells[3]) FROM reports
				WHERE status = 'live' AND assessment <> 'E' AND counted_at < $1 AND cells[3] = ANY($2) AND observed_at >= $3 AND observed_at < $4`,
				latest, cells, from, at).Scan(&held); err != nil {
				t.Fatal(err)
			}
			fig := ev.Regions.Area.Before
			if fig.Reports == nil {
				continue
			}
			harmChecked++
			// Each cell changes the count by -2 to +2, and the harm, rounded
			// to tens, by tens as many.
			if d := math.Abs(float64(*fig.Reports - n)); d > float64(2*held) {
				t.Errorf("location %s: published %d reports, SQL %d: beyond the perturbation's bound of %d", p.big, *fig.Reports, n, 2*held)
			}
			if d := math.Abs(*fig.Harm - harm); d > float64(20*held)+5 || math.Mod(*fig.Harm, 10) != 0 {
				t.Errorf("location %s: published harm %.0f, SQL %.1f: beyond the bound of %d, or not in tens", p.big, *fig.Harm, harm, 20*held+5)
			}
		}
		if harmChecked == 0 {
			t.Errorf("no published figure to check against SQL")
		}
	})

	t.Run("evaluation dates a day apart and actions' dates", func(t *testing.T) {
		f.t = t
		var tl tally
		for _, id := range append(singles[:5:5], pairs[0].big) {
			monday := ats[4]
			_, a := f.evaluation(&tl, "partner-key", id, monday, 8)
			for d := 1; d < 7; d++ {
				if _, b := f.evaluation(&tl, "partner-key", id, monday.AddDate(0, 0, d), 8); !bytes.Equal(a, b) {
					t.Errorf("location %s: the evaluation at %s differs from its Monday's", id, monday.AddDate(0, 0, d).Format(time.DateOnly))
				}
			}
		}
		// An action starting mid-week is evaluated from its week's Monday.
		r := f.json("chair", http.MethodPost, "/api/v1/locations/"+pairs[0].big+"/actions", map[string]any{"tactic": "closure_order", "owner_agency": f.agencyB.Name,
			"start_date": ats[4].AddDate(0, 0, 3).Format(time.DateOnly), "due_date": ats[4].AddDate(0, 0, 30).Format(time.DateOnly)})
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("action: %d %s", r.StatusCode, r.body)
		}
		if r := f.json("partner-key", http.MethodGet, "/api/v1/locations/"+pairs[0].big, nil); bytes.Contains(r.body, []byte("closure_order")) {
			t.Errorf("a partner of agency A sees agency B's action and its dates")
		}
	})
}

// sqlWeight is harm × q of a report in SQL.
const sqlWeight = `CASE category WHEN 'child_exploitation' THEN 10 WHEN 'violence' THEN 9 WHEN 'cuckooing' THEN 8 WHEN 'weapons' THEN 7
	WHEN 'missing_found' THEN 6 WHEN 'grooming_association' THEN 6 WHEN 'stash_location' THEN 6 WHEN 'drug_supply' THEN 5
	WHEN 'transport_hub' THEN 3 WHEN 'deal_line_activity' THEN 3 WHEN 'suspicious_vehicle' THEN 2 ELSE 1 END
	* CASE source WHEN 1 THEN 1.0 WHEN 2 THEN 0.7 ELSE 0.4 END
	* CASE assessment WHEN 'A' THEN 1.0 WHEN 'B' THEN 0.85 WHEN 'C' THEN 0.6 WHEN 'D' THEN 0.4 ELSE 0 END`

func mustJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}

// backdateAreas moves every location's areas back by d, as if drawn then
// (the owner of the schema lifts the rule that keeps areas as drawn, for
// the statement only).
func backdateAreas(t testing.TB, f *fixture, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	tx, err := storetest.OwnerSQL(t, f.db).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	for _, q := range []string{`ALTER TABLE location_areas DISABLE TRIGGER location_areas_no_change`,
		fmt.Sprintf(`UPDATE location_areas SET valid_from = valid_from - interval '%d seconds'`, int(d.Seconds())),
		`ALTER TABLE location_areas ENABLE TRIGGER location_areas_no_change`} {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}
