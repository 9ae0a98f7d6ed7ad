package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// backfillBatch is the reports placed per transaction.
const backfillBatch = 5000

// backfillCells places the reports stored before they had cells at every
// resolution (migration 10): the cells that hold them and the spread of
// their weight, from their points and precisions. Each batch takes new
// seq numbers, so running engines reload them. It returns how many it placed.
func backfillCells(ctx context.Context, conn *pgx.Conn) (int, error) {
	var (
		sp    hexgrid.Spreader
		total int
	)
	for {
		// A report that cannot be placed gets no cells (an empty array):
		// the engine then falls back to the parents of its finest cell.
		rows, err := conn.Query(ctx, `SELECT id, ST_Y(geom), ST_X(geom), precision_m FROM reports
			WHERE cells IS NULL OR (cardinality(cells) <> 0 AND cardinality(cells) <> 5) LIMIT $1`, backfillBatch)
		if err != nil {
			return total, err
		}
		var (
			ids                 []uuid.UUID
			cells, spreadC      [][]int64
			spreadW             [][]float32
			id                  uuid.UUID
			lat, lon, precision float64
		)
		_, err = pgx.ForEachRow(rows, []any{&id, &lat, &lon, &precision}, func() error {
			r := intel.Report{Location: intel.Point{Lat: lat, Lon: lon}, PrecisionM: precision}
			ids = append(ids, id)
			if err := (&intel.Validator{Spreader: &sp}).Place(&r); err != nil {
				cells, spreadC, spreadW = append(cells, []int64{}), append(spreadC, nil), append(spreadW, nil)
				return nil
			}
			cells = append(cells, cellsOf(r.Cells))
			spreadC, spreadW = append(spreadC, spreadCells(r.Spread)), append(spreadW, spreadWeights(r.Spread))
			return nil
		})
		if err != nil || len(ids) == 0 {
			return total, err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, seqLockSQL); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `CREATE TEMP TABLE report_placing (id uuid, cells bigint[], spread_cells bigint[],
				spread_weights real[]) ON COMMIT DROP`); err != nil {
				return err
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"report_placing"}, []string{"id", "cells", "spread_cells", "spread_weights"},
				pgx.CopyFromSlice(len(ids), func(i int) ([]any, error) {
					return []any{ids[i], cells[i], spreadC[i], spreadW[i]}, nil
				})); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE reports r SET cells = p.cells, spread_cells = p.spread_cells,
				spread_weights = p.spread_weights, seq = nextval('report_seq') FROM report_placing p WHERE r.id = p.id`)
			return err
		})
		if err != nil {
			return total, err
		}
		total += len(ids)
	}
}
