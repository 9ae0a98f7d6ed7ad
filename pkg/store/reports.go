package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// The outcomes of storing a submitted report.
const (
	Created   = "created"
	Duplicate = "duplicate"
	Conflict  = "conflict"
)

// Outcome says what became of one report given to InsertReports: created
// (ID is the new report), duplicate (the same content was stored before
// under ID) or conflict (another content is stored under the same
// external_ref, as ID).
type Outcome struct {
	ID     uuid.UUID
	Status string
}

const createStageSQL = `CREATE TEMP TABLE IF NOT EXISTS report_stage (
	ord int, id uuid, agency_id uuid, external_ref text, category text, indicators text[], observed_at timestamptz,
	lon double precision, lat double precision, precision_m double precision, source smallint, assessment text,
	handling text, conditions text, classification text, narrative text, review_at timestamptz, cell bigint,
	content_hash bytea) ON COMMIT DELETE ROWS`

var stageColumns = []string{"ord", "id", "agency_id", "external_ref", "category", "indicators", "observed_at", "lon", "lat",
	"precision_m", "source", "assessment", "handling", "conditions", "classification", "narrative", "review_at", "cell", "content_hash"}

const insertStagedSQL = `INSERT INTO reports (id, agency_id, external_ref, category, indicators, observed_at, geom,
	precision_m, source, assessment, handling, conditions, classification, narrative, review_at, cell, content_hash)
	SELECT id, agency_id, external_ref, category, indicators, observed_at, ST_SetSRID(ST_MakePoint(lon, lat), 4326),
	precision_m, source, assessment, handling, conditions, classification, narrative, review_at, cell, content_hash
	FROM report_stage ORDER BY ord
	ON CONFLICT (agency_id, external_ref) DO NOTHING`

const stagedOutcomesSQL = `SELECT s.ord, r.id, r.id = s.id, r.content_hash = s.content_hash
	FROM report_stage s JOIN reports r ON r.agency_id = s.agency_id AND r.external_ref = s.external_ref`

// InsertReports stores a batch of validated reports (ids and agencies set)
// in one transaction with its collect audit event: all or nothing. A
// report whose agency already holds its external_ref is not stored again;
// its outcome says whether it was the same content (a safe retry) or not.
func (db *DB) InsertReports(ctx context.Context, rs []intel.Report, ev AuditEvent) ([]Outcome, error) {
	out := make([]Outcome, len(rs))
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, createStageSQL); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"report_stage"}, stageColumns, pgx.CopyFromSlice(len(rs), func(i int) ([]any, error) {
			r := &rs[i]
			return []any{i, r.ID, r.AgencyID, r.ExternalRef, r.Category, r.Indicators, r.ObservedAt, r.Location.Lon, r.Location.Lat,
				r.PrecisionM, r.Grading.Source, r.Grading.Assessment, r.Grading.Handling, r.Grading.Conditions, r.Classification,
				r.Narrative, r.ReviewAt, int64(r.Cell), r.ContentHash()}, nil
		}))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, seqLockSQL); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, insertStagedSQL); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, stagedOutcomesSQL)
		if err != nil {
			return err
		}
		var (
			ord             int
			id              uuid.UUID
			created, sameAs bool
			createdIDs      []uuid.UUID
		)
		_, err = pgx.ForEachRow(rows, []any{&ord, &id, &created, &sameAs}, func() error {
			switch {
			case created:
				out[ord] = Outcome{id, Created}
				createdIDs = append(createdIDs, id)
			case sameAs:
				out[ord] = Outcome{id, Duplicate}
			default:
				out[ord] = Outcome{id, Conflict}
			}
			return nil
		})
		if err != nil || len(createdIDs) == 0 {
			return err
		}
		ev.ObjectType = "report"
		if len(createdIDs) == 1 {
			ev.ObjectID = createdIDs[0].String()
		}
		ev.Detail = map[string]any{"created": len(createdIDs), "ids": createdIDs}
		return writeAudit(ctx, tx, ev)
	})
	if err != nil {
		return nil, mapErr("insert reports", err)
	}
	return out, nil
}

const selectReportSQL = `SELECT id, agency_id, external_ref, category, indicators, observed_at, ST_Y(geom), ST_X(geom),
	precision_m, source, assessment, handling, conditions, classification, narrative, status, review_at, cell, seq,
	created_at, updated_at FROM reports`

func scanReport(row pgx.CollectableRow) (intel.Report, error) {
	var (
		r    intel.Report
		cell int64
	)
	err := row.Scan(&r.ID, &r.AgencyID, &r.ExternalRef, &r.Category, &r.Indicators, &r.ObservedAt, &r.Location.Lat, &r.Location.Lon,
		&r.PrecisionM, &r.Grading.Source, &r.Grading.Assessment, &r.Grading.Handling, &r.Grading.Conditions, &r.Classification,
		&r.Narrative, &r.Status, &r.ReviewAt, &cell, &r.Seq, &r.CreatedAt, &r.UpdatedAt)
	r.Cell = hexgrid.Cell(cell)
	r.ObservedAt, r.ReviewAt = r.ObservedAt.UTC(), r.ReviewAt.UTC()
	return r, err
}

// Report returns one report.
func (db *DB) Report(ctx context.Context, id uuid.UUID) (intel.Report, error) {
	rows, err := db.Pool.Query(ctx, selectReportSQL+` WHERE id = $1`, id)
	if err != nil {
		return intel.Report{}, mapErr("report", err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanReport)
	return r, mapErr("report", err)
}

// ReportFilter selects reports; zero fields select everything.
type ReportFilter struct {
	AgencyIDs  []uuid.UUID
	Categories []string
	Status     string
	From, To   time.Time
	// BBox is west, south, east, north in degrees.
	BBox *[4]float64
	// Cell selects reports inside an H3 cell of any resolution up to the stored one.
	Cell hexgrid.Cell
	// After pages: reports with an id above it, in id order.
	After uuid.UUID
	Limit int
}

// Reports returns the reports matching f, in id (creation time) order.
func (db *DB) Reports(ctx context.Context, f ReportFilter) ([]intel.Report, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, vs ...any) {
		for _, v := range vs {
			args = append(args, v)
			cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1)
		}
		where = append(where, cond)
	}
	if len(f.AgencyIDs) > 0 {
		add("agency_id = ANY(?)", f.AgencyIDs)
	}
	if len(f.Categories) > 0 {
		add("category = ANY(?)", f.Categories)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if !f.From.IsZero() {
		add("observed_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("observed_at < ?", f.To)
	}
	if f.BBox != nil {
		add("geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)", f.BBox[0], f.BBox[1], f.BBox[2], f.BBox[3])
	}
	if f.Cell != 0 {
		lo, hi := f.Cell.StoreRange()
		add("cell BETWEEN ? AND ?", int64(lo), int64(hi))
	}
	if f.After != uuid.Nil {
		add("id > ?", f.After)
	}
	sql := selectReportSQL
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	sql += " ORDER BY id LIMIT $" + strconv.Itoa(len(args))
	rows, err := db.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr("reports", err)
	}
	rs, err := pgx.CollectRows(rows, scanReport)
	return rs, mapErr("reports", err)
}

// AmendReport replaces the content of a report, if it has not changed
// since it was read (seq), and records the change with the previous version.
func (db *DB) AmendReport(ctx context.Context, r intel.Report, seq int64, ev AuditEvent) (intel.Report, error) {
	var out intel.Report
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, seqLockSQL); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE reports SET category = $3, indicators = $4, observed_at = $5,
			geom = ST_SetSRID(ST_MakePoint($6, $7), 4326), precision_m = $8, source = $9, assessment = $10, handling = $11,
			conditions = $12, classification = $13, narrative = $14, review_at = $15, cell = $16, content_hash = $17,
			seq = nextval('report_seq'), updated_at = now()
			WHERE id = $1 AND seq = $2`,
			r.ID, seq, r.Category, r.Indicators, r.ObservedAt, r.Location.Lon, r.Location.Lat, r.PrecisionM, r.Grading.Source,
			r.Grading.Assessment, r.Grading.Handling, r.Grading.Conditions, r.Classification, r.Narrative, r.ReviewAt,
			int64(r.Cell), r.ContentHash())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("report changed while being amended: %w", ErrConflict)
		}
		if out, err = reportTx(ctx, tx, r.ID); err != nil {
			return err
		}
		ev.ObjectType, ev.ObjectID = "report", r.ID.String()
		return writeAudit(ctx, tx, ev)
	})
	return out, mapErr("amend report", err)
}

// WithdrawReport takes a report out of every score, keeping it.
func (db *DB) WithdrawReport(ctx context.Context, id uuid.UUID, ev AuditEvent) (intel.Report, error) {
	var out intel.Report
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, seqLockSQL); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE reports SET status = 'withdrawn', seq = nextval('report_seq'), updated_at = now()
			WHERE id = $1 AND status <> 'withdrawn'`, id)
		if err != nil {
			return err
		}
		if out, err = reportTx(ctx, tx, id); err != nil || tag.RowsAffected() == 0 {
			return err
		}
		ev.ObjectType, ev.ObjectID = "report", id.String()
		ev.Detail = map[string]any{"status": intel.StatusWithdrawn}
		return writeAudit(ctx, tx, ev)
	})
	return out, mapErr("withdraw report", err)
}

// EraseReport deletes a report for good. The erasure is recorded without
// any of its content: only its id remains, in the audit log and for
// followers of seq.
func (db *DB) EraseReport(ctx context.Context, id uuid.UUID, ev AuditEvent) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, seqLockSQL); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM reports WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		if _, err := tx.Exec(ctx, `INSERT INTO report_erasures (id) VALUES ($1)`, id); err != nil {
			return err
		}
		ev.ObjectType, ev.ObjectID, ev.Detail = "report", id.String(), nil
		return writeAudit(ctx, tx, ev)
	})
	return mapErr("erase report", err)
}

func reportTx(ctx context.Context, tx pgx.Tx, id uuid.UUID) (intel.Report, error) {
	rows, err := tx.Query(ctx, selectReportSQL+` WHERE id = $1`, id)
	if err != nil {
		return intel.Report{}, err
	}
	return pgx.CollectExactlyOneRow(rows, scanReport)
}

// ReportCount is the number of stored reports.
func (db *DB) ReportCount(ctx context.Context) (int64, error) {
	var n int64
	err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM reports`).Scan(&n)
	return n, mapErr("count reports", err)
}
