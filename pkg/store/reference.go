package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// weightSQL is harm × q of a report in SQL, from the taxonomy's weights and
// the grading's.
var weightSQL = func() string {
	var b strings.Builder
	b.WriteString("CASE category")
	for _, c := range intel.Categories {
		fmt.Fprintf(&b, " WHEN '%s' THEN %g", c.Code, c.Weight)
	}
	b.WriteString(" END * CASE source::text")
	for _, g := range intel.Sources {
		fmt.Fprintf(&b, " WHEN '%s' THEN %g", g.Code, g.Weight)
	}
	b.WriteString(" END * CASE assessment")
	for _, g := range intel.Assessments {
		fmt.Fprintf(&b, " WHEN '%s' THEN %g", g.Code, g.Weight)
	}
	b.WriteString(" END")
	return b.String()
}()

// ReferenceQuery is a hotspot query the reference SQL answers.
type ReferenceQuery struct {
	Res        int
	AsOf, From time.Time
	HalfLife   time.Duration
	Categories []string // none: all
}

// ReferenceScores computes the scores of a query by one SQL statement over
// the raw reports table, as a GIS engineer would without the engine: a
// report's weight in the cell that holds it at res, or in the cells of its
// spread there, decayed by power(). It is the benchmark's baseline.
func (db *DB) ReferenceScores(ctx context.Context, q ReferenceQuery) (map[hexgrid.Cell]float64, error) {
	sql := `WITH base AS (SELECT cells, spread_cells, spread_weights, observed_at, ` + weightSQL + ` AS w FROM reports
		      WHERE status = 'live' AND observed_at >= $4 AND observed_at <= $2 AND assessment <> 'E'
		        AND ($5::text[] IS NULL OR category = ANY($5)))
		SELECT c, sum(w * share * power(2, -extract(epoch FROM ($2::timestamptz - observed_at)) / $3)) FROM (
			SELECT cells[$1::int - 5] AS c, 1.0 AS share, observed_at, w FROM base
			WHERE NOT EXISTS (SELECT 1 FROM unnest(spread_cells) sc WHERE (sc >> 52) & 15 = $1)
			UNION ALL
			SELECT u.sc, u.sw::float8, observed_at, w FROM base, unnest(spread_cells, spread_weights) AS u(sc, sw)
			WHERE (u.sc >> 52) & 15 = $1) s
		GROUP BY 1`
	return db.scoresOf(ctx, "reference scores", sql, q.Res, q.AsOf, q.HalfLife.Seconds(), q.From, q.Categories)
}

// bestHalfLives are the half-lives, in days, whose decay factors the best
// SQL baseline keeps precomputed: the bench's and the menu's.
var bestHalfLives = []int{7, 14, 28, 56}

// bestEpoch is the instant the precomputed decay factors count from.
const bestEpoch = `'2020-01-01T00:00:00Z'::timestamptz`

// PrepareBestSQL builds what the best single SQL query over the reports
// needs, as a database engineer would: bench_parts, one row per counted
// report and resolution (6 to 10) in the cell that holds it, or one per
// share where it spreads, with its weight w and, for each of
// bestHalfLives H, its decay factor w · 2^((t − epoch)/H) precomputed
// (the decay factorises: 2^(−(T−t)/H) = 2^(−(T−epoch)/H) · 2^((t−epoch)/H)),
// and a covering index on (res, observed_at) with the cell, category and
// factors, so that a query is one index-only range scan and one sum per
// cell. It returns the index's name and how long building took.
func (db *DB) PrepareBestSQL(ctx context.Context) (string, time.Duration, error) {
	start := time.Now()
	var factors, names []string
	for _, h := range bestHalfLives {
		factors = append(factors, fmt.Sprintf("w * power(2, extract(epoch FROM observed_at - %s) / %d) AS f%d", bestEpoch, h*86400, h))
		names = append(names, fmt.Sprintf("f%d", h))
	}
	sql := `DROP TABLE IF EXISTS bench_parts;
		CREATE TABLE bench_parts AS
		WITH base AS (SELECT cells, spread_cells, spread_weights, observed_at, category, ` + weightSQL + ` AS w FROM reports
			WHERE status = 'live' AND assessment <> 'E'),
		parts AS (
			SELECT r AS res, cells[r - 5] AS cell, observed_at, category, w FROM base, generate_series(6, 10) AS r
			WHERE NOT EXISTS (SELECT 1 FROM unnest(spread_cells) sc WHERE (sc >> 52) & 15 = r)
			UNION ALL
			SELECT ((u.sc >> 52) & 15)::int, u.sc, observed_at, category, w * u.sw::float8 FROM base, unnest(spread_cells, spread_weights) AS u(sc, sw))
		SELECT res, cell, observed_at, category, w, ` + strings.Join(factors, ", ") + ` FROM parts;
		CREATE INDEX bench_parts_covering ON bench_parts (res, observed_at) INCLUDE (cell, category, ` + strings.Join(names, ", ") + `)`
	if _, err := db.pool.Exec(ctx, sql); err != nil {
		return "", 0, mapErr("prepare the best SQL", err)
	}
	// Index-only scans need the visibility map.
	if _, err := db.pool.Exec(ctx, `VACUUM ANALYZE bench_parts`); err != nil {
		return "", 0, mapErr("prepare the best SQL", err)
	}
	return "bench_parts_covering (res, observed_at) INCLUDE (cell, category, " + strings.Join(names, ", ") + ")", time.Since(start), nil
}

// BestScores computes the scores of q (its half-life one of
// bestHalfLives, in days) by the best single SQL query over what
// PrepareBestSQL built.
func (db *DB) BestScores(ctx context.Context, q ReferenceQuery) (map[hexgrid.Cell]float64, error) {
	days := int(q.HalfLife / (24 * time.Hour))
	if !slices.Contains(bestHalfLives, days) || q.HalfLife != time.Duration(days)*24*time.Hour {
		return nil, fmt.Errorf("store: the best SQL keeps no decay factors for a half-life of %s", q.HalfLife)
	}
	sql := fmt.Sprintf(`SELECT cell, power(2, -extract(epoch FROM $2::timestamptz - %s) / %d) * sum(f%d) FROM bench_parts
		WHERE res = $1 AND observed_at >= $3 AND observed_at <= $2 AND ($4::text[] IS NULL OR category = ANY($4))
		GROUP BY cell`, bestEpoch, days*86400, days)
	return db.scoresOf(ctx, "best scores", sql, q.Res, q.AsOf, q.From, q.Categories)
}

// DropBestSQL drops what PrepareBestSQL built.
func (db *DB) DropBestSQL(ctx context.Context) error {
	_, err := db.pool.Exec(ctx, `DROP TABLE IF EXISTS bench_parts`)
	return mapErr("drop the best SQL", err)
}

// scoresOf runs sql, whose rows are (cell, score).
func (db *DB) scoresOf(ctx context.Context, what, sql string, args ...any) (map[hexgrid.Cell]float64, error) {
	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr(what, err)
	}
	out := map[hexgrid.Cell]float64{}
	var (
		cell  int64
		score float64
	)
	_, err = pgx.ForEachRow(rows, []any{&cell, &score}, func() error {
		out[hexgrid.Cell(cell)] = score
		return nil
	})
	return out, mapErr(what, err)
}

// Analyze refreshes the planner's statistics of the reports table.
func (db *DB) Analyze(ctx context.Context) error {
	_, err := db.pool.Exec(ctx, `VACUUM ANALYZE reports`)
	return mapErr("analyze", err)
}

// ServerVersion is the PostgreSQL server's version.
func (db *DB) ServerVersion(ctx context.Context) (string, error) {
	var v string
	err := db.pool.QueryRow(ctx, `SELECT current_setting('server_version')`).Scan(&v)
	return v, mapErr("server version", err)
}

// StoredRefs counts an agency's reports, their distinct external_refs, and
// how many of refs it holds: what a load test checks was stored exactly
// once.
func (db *DB) StoredRefs(ctx context.Context, agencyID uuid.UUID, refs []string) (stored, distinct, found int, err error) {
	err = db.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT external_ref), count(*) FILTER (WHERE external_ref = ANY($2))
		FROM reports WHERE agency_id = $1`, pgUUID(agencyID), refs).Scan(&stored, &distinct, &found)
	return stored, distinct, found, mapErr("stored refs", err)
}
