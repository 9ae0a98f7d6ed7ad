package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// seqLock serialises the transactions that take report sequence numbers,
// so that they commit in seq order and a follower that has read up to seq
// s never later sees a commit below s.
const seqLockSQL = `SELECT pg_advisory_xact_lock(7302)`

// ReportChange is a change of the scoring facts of a report: its state
// after the change numbered Seq, or its erasure.
type ReportChange struct {
	Seq        int64
	ID         uuid.UUID
	Live       bool
	Cell       hexgrid.Cell
	ObservedAt time.Time
	Category   string
	AgencyID   uuid.UUID
	Grading    intel.Grading
	Sensitive  bool
	// Corroborated: another agency's counted report is near in space and time.
	Corroborated bool
	// Key is the report's record key for the cell-key method.
	Key uint32
	// Cells and Spread place the report (see intel.Report).
	Cells  hexgrid.Cells
	Spread []hexgrid.Share
	// CountedAt is when the report began to count (see migration 12).
	CountedAt time.Time
}

// ReportChanges returns up to limit changes after seq, in seq order, and
// whether more may follow. Rows and erasures are read from one snapshot:
// read apart, an erasure committed between the two reads would move the
// reader past a report it never saw.
func (db *DB) ReportChanges(ctx context.Context, after int64, limit int) (out []ReportChange, more bool, err error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, false, mapErr("report changes", err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	rows, err := tx.Query(ctx, `SELECT seq, id, status = 'live', cell, observed_at, category, agency_id, source, assessment,
		classification = 'OFFICIAL-SENSITIVE', record_key, corroborated,
		coalesce(cells, '{}'), spread_cells, spread_weights, counted_at FROM reports WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, false, mapErr("report changes", err)
	}
	var (
		ch             ReportChange
		cell           int64
		key            int64
		cells, spreadC []int64
		spreadW        []float32
	)
	// UUIDs scan as bytes: uuid.UUID's sql.Scanner would take each through text.
	out = make([]ReportChange, 0, min(limit, 1<<16))
	_, err = pgx.ForEachRow(rows, []any{&ch.Seq, (*[16]byte)(&ch.ID), &ch.Live, &cell, &ch.ObservedAt, &ch.Category, (*[16]byte)(&ch.AgencyID), &ch.Grading.Source, &ch.Grading.Assessment, &ch.Sensitive, &key, &ch.Corroborated, &cells, &spreadC, &spreadW, &ch.CountedAt}, func() error {
		ch.Cell, ch.Key = hexgrid.Cell(cell), uint32(key)
		ch.Cells = hexgrid.Cells{}
		if len(cells) == hexgrid.Levels {
			for i, c := range cells {
				ch.Cells[i] = hexgrid.Cell(c)
			}
		}
		ch.Spread = sharesOf(spreadC, spreadW)
		out = append(out, ch)
		return nil
	})
	if err != nil {
		return nil, false, mapErr("report changes", err)
	}
	more = len(out) == limit
	upTo := int64(1<<63 - 1)
	if more {
		upTo = out[len(out)-1].Seq
	}
	// Erasures up to the last change read: they follow the rows they erase.
	rows, err = tx.Query(ctx, `SELECT seq, id FROM report_erasures WHERE seq > $1 AND seq <= $2 ORDER BY seq`, after, upTo)
	if err != nil {
		return nil, false, mapErr("report erasures", err)
	}
	var er ReportChange
	_, err = pgx.ForEachRow(rows, []any{&er.Seq, &er.ID}, func() error {
		out = append(out, ReportChange{Seq: er.Seq, ID: er.ID})
		return nil
	})
	if err != nil {
		return nil, false, mapErr("report erasures", err)
	}
	return out, more, nil
}
