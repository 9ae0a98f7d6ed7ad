package bng_test

import (
	"context"
	"math"
	"os"
	"testing"

	"github.com/hexwatch/hexwatch/pkg/bng"
	"github.com/hexwatch/hexwatch/pkg/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Run(m)) }

// TestAgreesWithPostGIS converts a grid of points over Great Britain both
// ways and compares each with PostGIS's ST_Transform of the same point:
// they agree to a tenth of a millimetre.
func TestAgreesWithPostGIS(t *testing.T) {
	storetest.SkipShort(t)
	sql := storetest.SQL(t, storetest.DB(t))
	ctx := context.Background()
	const tol = 1e-4 // metres
	var worstFwd, worstInv float64
	n := 0
	for lat := 50.0; lat <= 58.5; lat += 0.5 {
		for lon := -5.5; lon <= 1.75; lon += 0.25 {
			var pe, pn, plon, plat float64
			e, no := bng.FromWGS84(lon, lat)
			if err := sql.QueryRow(ctx, `
				SELECT ST_X(f), ST_Y(f), ST_X(b), ST_Y(b) FROM (SELECT
				  ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), 27700) AS f,
				  ST_Transform(ST_SetSRID(ST_MakePoint($3, $4), 27700), 4326) AS b) s`,
				lon, lat, e, no).Scan(&pe, &pn, &plon, &plat); err != nil {
				t.Fatal(err)
			}
			worstFwd = max(worstFwd, math.Hypot(e-pe, no-pn))
			// Back from the same easting and northing, compared in metres.
			glon, glat := bng.ToWGS84(e, no)
			dy := (glat - plat) * 111_320
			dx := (glon - plon) * 111_320 * math.Cos(lat*math.Pi/180)
			worstInv = max(worstInv, math.Hypot(dx, dy))
			n++
		}
	}
	t.Logf("%d points: worst %.2g m to BNG, %.2g m back", n, worstFwd, worstInv)
	if worstFwd > tol || worstInv > tol {
		t.Errorf("worst differences from PostGIS: %.3g m to BNG, %.3g m back; want ≤ %g m", worstFwd, worstInv, tol)
	}
}

// TestRoundTrip: a point taken to BNG and back comes home within about a
// millimetre (2e-8 degrees), as through PostGIS: each way drops the height
// the Helmert gives, so the two ways are not exact inverses.
func TestRoundTrip(t *testing.T) {
	for _, p := range [][2]float64{{0.1218, 52.2053}, {-0.2396, 52.5726}, {-3.19, 55.95}} {
		e, n := bng.FromWGS84(p[0], p[1])
		lon, lat := bng.ToWGS84(e, n)
		if math.Abs(lon-p[0]) > 2e-8 || math.Abs(lat-p[1]) > 2e-8 {
			t.Errorf("%v: back at %v,%v", p, lon, lat)
		}
	}
}
