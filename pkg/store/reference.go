package store

import (
	"context"
	"fmt"
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
	rows, err := db.pool.Query(ctx, sql, q.Res, q.AsOf, q.HalfLife.Seconds(), q.From, q.Categories)
	if err != nil {
		return nil, mapErr("reference scores", err)
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
	return out, mapErr("reference scores", err)
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
