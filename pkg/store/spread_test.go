package store_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

// TestSpreadMatchesPostGISAreas checks the spread of reports of 10 m,
// 100 m, 500 m and 2 km precision against PostGIS (GEOS): each cell's
// weight is the area of the precision disk's overlap with the cell over
// the disk's area, to 1e-6, and the weights cover the whole disk.
func TestSpreadMatchesPostGISAreas(t *testing.T) {
	db := storetest.DB(t)
	ctx := context.Background()
	var sp hexgrid.Spreader
	const lat, lon = 52.2053, 0.1218
	for _, precision := range []float64{10, 100, 500, 2000} {
		disk := hexgrid.Disk(lat, lon, precision)
		spread := 0
		for res := hexgrid.MinRes; res <= hexgrid.MaxRes; res++ {
			shares, err := sp.Spread(lat, lon, precision, res)
			if err != nil {
				t.Fatal(err)
			}
			if (shares != nil) != hexgrid.Spreads(precision, res) {
				t.Fatalf("%v m at res %d: %d shares, spreads %v", precision, res, len(shares), hexgrid.Spreads(precision, res))
			}
			if shares == nil {
				continue
			}
			spread++
			polys := make([]string, len(shares))
			sum := 0.0
			for i, s := range shares {
				poly, err := s.Cell.Polygon()
				if err != nil {
					t.Fatal(err)
				}
				polys[i] = wkt.MarshalString(poly)
				sum += s.Weight
			}
			rows, err := storetest.SQL(t, db).Query(ctx, `SELECT ST_Area(ST_Intersection(d, ST_GeomFromText(w))) / ST_Area(d)
				FROM (SELECT ST_GeomFromText($1) AS d) x, unnest($2::text[]) WITH ORDINALITY AS u(w, i) ORDER BY i`,
				wkt.MarshalString(orb.Polygon{disk}), polys)
			if err != nil {
				t.Fatal(err)
			}
			i, worst := 0, 0.0
			for rows.Next() {
				var want float64
				if err := rows.Scan(&want); err != nil {
					t.Fatal(err)
				}
				d := math.Abs(shares[i].Weight - want)
				worst = max(worst, d)
				if d > 1e-6 {
					t.Errorf("%v m at res %d, cell %s: weight %.9f, PostGIS %.9f", precision, res, shares[i].Cell, shares[i].Weight, want)
				}
				i++
			}
			if err := rows.Err(); err != nil || i != len(shares) {
				t.Fatalf("PostGIS answered %d of %d cells: %v", i, len(shares), err)
			}
			if math.Abs(sum-1) > 1e-7 {
				t.Errorf("%v m at res %d: weights sum to %.12f, want 1", precision, res, sum)
			}
			t.Logf("%v m at res %d: %d cells, worst difference from PostGIS %.1e", precision, res, len(shares), worst)
		}
		if want := map[float64]int{10: 0, 100: 1, 500: 2, 2000: 4}[precision]; spread != want {
			t.Errorf("%v m spreads at %d resolutions, want %d", precision, spread, want)
		}
	}
}

// TestMigrateUpPlacesEarlierReports clears the cells of stored reports, as
// before migration 10, and checks that migrate up places them again, with
// new seq numbers so that running engines reload them.
func TestMigrateUpPlacesEarlierReports(t *testing.T) {
	ctx := context.Background()
	mg, db := migrated(t)
	ag, err := db.CreateAgency(ctx, "Placing Agency", "police", store.AuditEvent{Action: store.ActionAdmin, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var want []intel.Report
	for i := range 3 {
		r := validReport(t, ag.ID, fmt.Sprint("placing-", i), "drug_supply")
		r.PrecisionM = []float64{5, 250, 2000}[i]
		if err := (&intel.Validator{}).Place(&r); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	if _, err := db.InsertReports(ctx, want, store.AuditEvent{Action: store.ActionCollect, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	var before int64
	storetest.SQL(t, db).QueryRow(ctx, `SELECT max(seq) FROM reports`).Scan(&before)
	if _, err := storetest.SQL(t, db).Exec(ctx, `UPDATE reports SET cells = NULL, spread_cells = NULL, spread_weights = NULL`); err != nil {
		t.Fatal(err)
	}
	if err := mg.Up(); err != nil {
		t.Fatal(err)
	}
	changes, _, err := db.ReportChanges(ctx, before, 100)
	if err != nil || len(changes) != len(want) {
		t.Fatalf("after migrate up: %d changes after seq %d, %v; want %d", len(changes), before, err, len(want))
	}
	for _, ch := range changes {
		for _, r := range want {
			if r.ID != ch.ID {
				continue
			}
			if ch.Cells != r.Cells || len(ch.Spread) != len(r.Spread) {
				t.Errorf("report of %v m: cells %v, %d shares; want %v, %d", r.PrecisionM, ch.Cells, len(ch.Spread), r.Cells, len(r.Spread))
			}
		}
	}
}
