package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

type accuracyAnswer struct {
	Res        int       `json:"res"`
	StudyCells int       `json:"study_cells"`
	Coverages  []float64 `json:"coverages"`
	Forecasts  []struct {
		Name     string  `json:"name"`
		HalfLife *string `json:"half_life"`
		Summary  []struct {
			PAI struct {
				Mean *float64 `json:"mean"`
			} `json:"pai"`
		} `json:"summary"`
	} `json:"forecasts"`
	Best []struct {
		Coverage float64  `json:"coverage"`
		Forecast string   `json:"forecast"`
		PAI      float64  `json:"pai"`
		NaivePAI *float64 `json:"naive_pai"`
	} `json:"best"`
	Weeks []struct {
		Start     time.Time `json:"start"`
		Reports   int       `json:"reports"`
		Forecasts [][]struct {
			Cells   int      `json:"cells"`
			Hits    int      `json:"hits"`
			HitRate *float64 `json:"hit_rate"`
			PAI     *float64 `json:"pai"`
			PEIStar *float64 `json:"pei_star"`
		} `json:"forecasts"`
	} `json:"weeks"`
}

// sqlBackTest is one week's map, recomputed by PostgreSQL over the raw
// reports table: at resolution $1, the map as of $2 over the reports
// observed from $3 and counted before $2 (decayed with half-life $5
// seconds, or the naive count when $5 is 0), its cells ranked by score
// then cell, and for each k of $7 the cells of the first k of a score
// above zero and the reports observed from $2 to $4 in them; $6 is the
// study area.
const sqlBackTest = `WITH facts AS (
	SELECT observed_at, counted_at, cells[$1 - 5] AS cell, spread_cells, spread_weights, ` + sqlWeight + ` AS w,
		EXISTS (SELECT 1 FROM unnest(spread_cells) sc WHERE (sc >> 52) & 15 = $1) AS spread
	FROM reports WHERE status = 'live' AND assessment <> 'E'),
map AS (
	SELECT cell, sum(score) AS score FROM (
		SELECT cell, CASE WHEN $5::float8 = 0 THEN 1 ELSE w * power(2, -extract(epoch FROM ($2::timestamptz - observed_at)) / $5) END AS score
			FROM facts WHERE observed_at >= $3 AND observed_at < $2 AND counted_at < $2 AND ($5 = 0 OR NOT spread)
		UNION ALL
		SELECT sc, w * sw::float8 * power(2, -extract(epoch FROM ($2::timestamptz - observed_at)) / $5)
			FROM facts, unnest(spread_cells, spread_weights) AS u(sc, sw)
			WHERE $5 > 0 AND spread AND (sc >> 52) & 15 = $1 AND observed_at >= $3 AND observed_at < $2 AND counted_at < $2
	) s WHERE cell = ANY($6) GROUP BY cell HAVING sum(score) > 0),
ranked AS (SELECT cell, row_number() OVER (ORDER BY score DESC, cell) AS rank FROM map),
week AS (SELECT cell, count(*) AS n FROM facts WHERE observed_at >= $2 AND observed_at < $4 AND cell = ANY($6) GROUP BY cell)
SELECT k, count(r.cell)::int, coalesce(sum(w.n), 0)::int FROM unnest($7::int[]) AS k
	LEFT JOIN ranked r ON r.rank <= k LEFT JOIN week w ON w.cell = r.cell GROUP BY k ORDER BY k`

// sqlWeekCounts are the counted reports of the week $2 to $3 by cell at
// resolution $1 in the study area $4, most first.
const sqlWeekCounts = `SELECT coalesce(array_agg(n ORDER BY n DESC), '{}') FROM (SELECT count(*)::int AS n FROM reports
	WHERE status = 'live' AND assessment <> 'E' AND observed_at >= $2 AND observed_at < $3 AND cells[$1 - 5] = ANY($4) GROUP BY cells[$1 - 5]) c`

func TestAccuracyEqualsSQL(t *testing.T) {
	f := newFixtureOn(t, storetest.OwnDB(t))
	loadDemo(t, f, 4000)
	const res, weeks = 8, 6
	r := f.json("analyst", http.MethodGet, fmt.Sprintf("/api/v1/accuracy?res=%d&weeks=%d&half_life=21d", res, weeks), nil)
	var a accuracyAnswer
	if r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &a) != nil {
		t.Fatalf("accuracy: %d %s", r.StatusCode, r.body)
	}
	var names []string
	for _, fc := range a.Forecasts {
		names = append(names, fc.Name)
	}
	if want := []string{"half-life 14d", "half-life 21d", "half-life 28d", "half-life 56d", "last 4 weeks' counts"}; !slices.Equal(names, want) {
		t.Fatalf("forecasts %v, want %v", names, want)
	}
	var study []int64
	for _, c := range f.srv.Engine().StudyArea(res) {
		study = append(study, int64(c))
	}
	if a.StudyCells != len(study) || len(a.Weeks) != weeks {
		t.Fatalf("study cells %d (want %d), weeks %d", a.StudyCells, len(study), len(a.Weeks))
	}
	ks := make([]int32, len(a.Coverages))
	for i, cov := range a.Coverages {
		ks[i] = int32(math.Ceil(cov*float64(len(study)) - 1e-9))
	}
	ctx := context.Background()
	halfLives := []time.Duration{14, 21, 28, 56, 0}
	hits := 0
	for _, w := range a.Weeks {
		start := w.Start.In(hotspot.London)
		end := start.AddDate(0, 0, 7)
		var counts []int32
		if err := f.sql().QueryRow(ctx, sqlWeekCounts, res, start, end, study).Scan(&counts); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range counts {
			n += int(c)
		}
		if n != w.Reports {
			t.Errorf("week of %s: %d reports, SQL %d", start.Format(time.DateOnly), w.Reports, n)
		}
		for fi, h := range halfLives {
			from := start.Add(-365 * 24 * time.Hour)
			if h == 0 {
				from = start.AddDate(0, 0, -7*hotspot.NaiveWeeks)
			}
			rows, err := f.sql().Query(ctx, sqlBackTest, res, start, from, end, (h * 24 * time.Hour).Seconds(), study, ks)
			if err != nil {
				t.Fatal(err)
			}
			ci := 0
			for rows.Next() {
				var k, cells, h int
				if err := rows.Scan(&k, &cells, &h); err != nil {
					t.Fatal(err)
				}
				got := w.Forecasts[fi][ci]
				// The best map of as many cells: the cells that hold most of the week's reports.
				bestCells, bestHits := min(cells, len(counts)), 0
				for _, c := range counts[:bestCells] {
					bestHits += int(c)
				}
				if got.Cells != cells || got.Hits != h {
					t.Errorf("week of %s, %s, %.0f %%: hexwatch %d cells, %d hits; SQL %d, %d", start.Format(time.DateOnly), a.Forecasts[fi].Name,
						100*a.Coverages[ci], got.Cells, got.Hits, cells, h)
				}
				if n > 0 && cells > 0 {
					hr := float64(h) / float64(n)
					pai := hr / (float64(cells) / float64(len(study)))
					pei := pai / ((float64(bestHits) / float64(n)) / (float64(bestCells) / float64(len(study))))
					if got.HitRate == nil || got.PAI == nil || got.PEIStar == nil || math.Abs(*got.HitRate-hr) > 1e-12 ||
						math.Abs(*got.PAI-pai) > 1e-9 || math.Abs(*got.PEIStar-pei) > 1e-12 {
						t.Errorf("week of %s, %s: measures %v %v %v, SQL %g %g %g", start.Format(time.DateOnly), a.Forecasts[fi].Name, got.HitRate, got.PAI, got.PEIStar, hr, pai, pei)
					}
				}
				hits += h
				ci++
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if hits == 0 {
		t.Fatal("no map hit anything: the comparison tests nothing")
	}
	for _, b := range a.Best {
		t.Logf("best at %.0f %%: %s, mean PAI %.2f; naive %.2f", 100*b.Coverage, b.Forecast, b.PAI, *b.NaivePAI)
	}
	// Parameters that play no part, and bad ones, are named.
	for q, field := range map[string]string{"k=2": "k", "weeks=0": "weeks", "weeks=x": "weeks", "bbox=0,52,1,53": "bbox", "res=11": "res"} {
		if r := f.json("analyst", http.MethodGet, "/api/v1/accuracy?"+q, nil); r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.body), `"`+field+`"`) {
			t.Errorf("%s: %d %s", q, r.StatusCode, r.body)
		}
	}
}

type coverageAnswer struct {
	View     string            `json:"view"`
	Legend   map[string]string `json:"legend"`
	Features []struct {
		ID         string `json:"id"`
		Properties struct {
			Coverage    string   `json:"coverage"`
			Kinds       []string `json:"kinds"`
			SilentKinds []string `json:"silent_kinds"`
			Reports     *int     `json:"reports"`
			Agencies    *int     `json:"agencies"`
		} `json:"properties"`
	} `json:"features"`
}

func TestCoverageLayer(t *testing.T) {
	f := newFixtureOn(t, storetest.OwnDB(t))
	// Police (A) and a school (C, evaluated here by setting it to grade
	// its own) in one cell this month; the council (B) in the month before.
	ctx := context.Background()
	if err := f.db.SetSelfGrading(ctx, f.agencyC.ID, true, store.AuditEvent{Action: store.ActionAdmin, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	f.reportOf(f.agencyA, 3)
	f.reportOf(f.agencyC, 4)
	f.reportOf(f.agencyB, 40)
	r := f.json("analyst", http.MethodGet, "/api/v1/coverage?res=9&window=28d", nil)
	var cv coverageAnswer
	if r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &cv) != nil || len(cv.Features) != 1 {
		t.Fatalf("coverage: %d %s", r.StatusCode, r.body)
	}
	p := cv.Features[0].Properties
	if cv.View != "full" || cv.Features[0].ID != fixtureCell(9) || p.Coverage != "both" || *p.Reports != 2 || *p.Agencies != 2 ||
		!slices.Equal(p.Kinds, []string{"education", "police"}) || !slices.Equal(p.SilentKinds, []string{"local_authority"}) {
		t.Errorf("coverage: %s", r.body)
	}
	if cv.Legend["both"] == "" {
		t.Errorf("no legend: %s", r.body)
	}
	// The published layer is coarser: a partner asking for res 8 is told so.
	if r := f.json("partner-key", http.MethodGet, "/api/v1/coverage?res=8", nil); r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.body), `"res"`) {
		t.Errorf("published coverage at res 8: %d %s", r.StatusCode, r.body)
	}
}

// TestAgencyActivityFlagsSilence builds 42 weeks of counts: the council
// sends 20 a week and 2 in the latest whole week; the police 8 to 12 a
// week throughout.
func TestAgencyActivityFlagsSilence(t *testing.T) {
	f := newFixtureOn(t, storetest.OwnDB(t))
	ctx := context.Background()
	thisWeek := hotspot.WeekStart(time.Now())
	var reports []intel.Report
	received := map[uuid.UUID]time.Time{}
	add := func(ag store.Agency, week time.Time, n int) {
		for i := range n {
			b, _ := json.Marshal(submission("activity-" + uuid.NewString()))
			sub, errs := intel.DecodeSubmission(b)
			if errs != nil {
				t.Fatal(errs)
			}
			rp, verr := f.validator.Validate(sub)
			if verr != nil {
				t.Fatal(verr)
			}
			rp.ID, rp.AgencyID = uuid.Must(uuid.NewV7()), ag.ID
			reports = append(reports, rp)
			received[rp.ID] = week.Add(time.Duration(i+1) * 3 * time.Hour)
		}
	}
	police := []int{8, 12, 10, 9, 11}
	for w := 1; w <= 41; w++ {
		week := thisWeek.AddDate(0, 0, -7*w)
		council := 20
		if w == 1 {
			council = 2
		}
		add(f.agencyB, week, council)
		add(f.agencyA, week, police[w%len(police)])
	}
	if _, err := f.db.InsertReports(ctx, reports, store.AuditEvent{Action: store.ActionCollect, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	batch := f.sql()
	for id, at := range received {
		if _, err := batch.Exec(ctx, `UPDATE reports SET created_at = $2 WHERE id = $1`, id, at); err != nil {
			t.Fatal(err)
		}
	}
	var act struct {
		Weeks    []time.Time `json:"weeks"`
		Agencies []struct {
			ID     string   `json:"id"`
			Counts []int    `json:"counts"`
			Usual  *float64 `json:"usual"`
			Silent bool     `json:"silent"`
			Flags  []struct {
				Week     time.Time `json:"week"`
				Test     string    `json:"test"`
				Received int       `json:"received"`
			} `json:"flags"`
		} `json:"agencies"`
	}
	r := f.json("chair", http.MethodGet, "/api/v1/agencies/activity", nil)
	if r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &act) != nil {
		t.Fatalf("activity: %d %s", r.StatusCode, r.body)
	}
	if len(act.Weeks) != 26 || !act.Weeks[25].Equal(thisWeek.AddDate(0, 0, -7)) {
		t.Fatalf("weeks: %v", act.Weeks)
	}
	seen := 0
	for _, a := range act.Agencies {
		switch a.ID {
		case f.agencyB.ID.String():
			seen++
			if !a.Silent || len(a.Flags) != 1 || a.Flags[0].Test != "week" || a.Flags[0].Received != 2 || a.Counts[25] != 2 || a.Counts[0] != 20 || *a.Usual != 20 {
				t.Errorf("the council fell silent unflagged: %+v", a)
			}
		case f.agencyA.ID.String():
			seen++
			if a.Silent || len(a.Flags) != 0 || a.Counts[25] != police[1] {
				t.Errorf("the police flagged: %+v", a)
			}
		case f.agencyC.ID.String():
			seen++
			if a.Silent || a.Usual != nil && *a.Usual != 0 {
				t.Errorf("a school that never reported: %+v", a)
			}
		}
	}
	if seen != 3 || act.Agencies[0].ID != f.agencyB.ID.String() {
		t.Errorf("agencies: silent first, every agency listed: %s", r.body)
	}
	if r := f.json("partner-key", http.MethodGet, "/api/v1/agencies/activity", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("a partner reads the activity: %d", r.StatusCode)
	}
}
