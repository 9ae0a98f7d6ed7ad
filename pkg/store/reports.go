package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"

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

// The staging table has the columns of reportColumns, as reports types
// them, and the order of the batch; rows go into it as reportRow writes
// them and on from it to reports.
var (
	createStageSQL = `CREATE TEMP TABLE IF NOT EXISTS report_stage ON COMMIT DELETE ROWS AS
	SELECT 0 AS ord, ` + strings.Join(reportColumns, ", ") + ` FROM reports WITH NO DATA`
	stageColumns    = append([]string{"ord"}, reportColumns...)
	insertStagedSQL = `INSERT INTO reports (` + strings.Join(reportColumns, ", ") + `)
	SELECT ` + strings.Join(reportColumns, ", ") + ` FROM report_stage ORDER BY ord
	ON CONFLICT (agency_id, external_ref) DO NOTHING`
)

const stagedOutcomesSQL = `SELECT s.ord, r.id, r.id = s.id, r.content_hash = s.content_hash
	FROM report_stage s JOIN reports r ON r.agency_id = s.agency_id AND r.external_ref = s.external_ref`

// InsertReports stores a batch of validated reports (ids and agencies set)
// in one transaction with its collect audit event: all or nothing. A
// report whose agency already holds its external_ref is not stored again;
// its outcome says whether it was the same content (a safe retry) or not.
//
// The batch's external_refs are looked up first and the new reports copied
// straight into the table; when another transaction stores one of the same
// refs in between, the batch is done again through a staging table.
func (db *DB) InsertReports(ctx context.Context, rs []intel.Report, ev AuditEvent) ([]Outcome, error) {
	return db.insertReportsThen(ctx, rs, ev, nil)
}

// insertReportsThen is InsertReports, then also, in the same transaction,
// then of the reports it created.
func (db *DB) insertReportsThen(ctx context.Context, rs []intel.Report, ev AuditEvent, then func(pgx.Tx, []uuid.UUID) error) ([]Outcome, error) {
	out, err := db.insertReports(ctx, rs, ev, false, then)
	if errors.Is(err, ErrConflict) {
		out, err = db.insertReports(ctx, rs, ev, true, then)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

const existingRefsSQL = `SELECT r.agency_id, r.external_ref, r.id, r.content_hash FROM reports r
	JOIN unnest($1::uuid[], $2::text[]) AS b(agency_id, external_ref) USING (agency_id, external_ref)`

var reportColumns = []string{"id", "agency_id", "external_ref", "category", "indicators", "observed_at", "geom", "precision_m",
	"source", "assessment", "handling", "conditions", "classification", "narrative", "review_at", "cell", "content_hash",
	"cells", "spread_cells", "spread_weights", "status", "suggested_grading"}

// reportRow is report r as it is copied into reportColumns, hash its
// content hash. Identifiers go as pgtype.UUID: a uuid.UUID would be
// written out as text and parsed again.
func reportRow(r *intel.Report, hash []byte) ([]any, error) {
	geom, err := ewkb.Marshal(orb.Point{r.Location.Lon, r.Location.Lat}, 4326)
	if err != nil {
		return nil, err
	}
	status := cmp.Or(r.Status, intel.StatusLive)
	var suggested []byte
	if r.SuggestedGrading != nil {
		if suggested, err = json.Marshal(r.SuggestedGrading); err != nil {
			return nil, err
		}
	}
	return []any{pgUUID(r.ID), pgUUID(r.AgencyID), r.ExternalRef, r.Category, r.Indicators, r.ObservedAt, geom, r.PrecisionM,
		r.Grading.Source, r.Grading.Assessment, r.Grading.Handling, r.Grading.Conditions, r.Classification, r.Narrative,
		r.ReviewAt, int64(r.Cell), hash, cellsOf(r.Cells), spreadCells(r.Spread), spreadWeights(r.Spread), status, suggested}, nil
}

func pgUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

// AnalyzeReports gathers the statistics of the reports table anew.
func (db *DB) AnalyzeReports(ctx context.Context) error {
	_, err := db.pool.Exec(ctx, `SELECT analyze_reports()`)
	return mapErr("analyze reports", err)
}

// CopyBaseline copies rs (ids and agencies set), prepared as InsertReports
// prepares them, into a new table with the columns and indexes of reports,
// in batches of batch, and drops it: the physical floor of storing them.
// It returns the time the copies took.
func (db *DB) CopyBaseline(ctx context.Context, rs []intel.Report, batch int) (time.Duration, error) {
	if _, err := db.pool.Exec(ctx, `DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (LIKE reports INCLUDING ALL)`); err != nil {
		return 0, err
	}
	defer func() { _, _ = db.pool.Exec(context.Background(), `DROP TABLE IF EXISTS bench_copy`) }()
	rows := make([][]any, len(rs))
	for i := range rs {
		row, err := reportRow(&rs[i], rs[i].ContentHash())
		if err != nil {
			return 0, err
		}
		rows[i] = row
	}
	start := time.Now()
	for i := 0; i < len(rows); i += batch {
		if _, err := db.pool.CopyFrom(ctx, pgx.Identifier{"bench_copy"}, reportColumns, pgx.CopyFromRows(rows[i:min(i+batch, len(rows))])); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

type refKey struct {
	agency uuid.UUID
	ref    string
}

type stored struct {
	id   uuid.UUID
	hash []byte
}

func (db *DB) insertReports(ctx context.Context, rs []intel.Report, ev AuditEvent, staged bool, then func(pgx.Tx, []uuid.UUID) error) ([]Outcome, error) {
	out := make([]Outcome, len(rs))
	err := db.reportsTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, seqLockSQL); err != nil {
			return err
		}
		var (
			created []uuid.UUID
			err     error
		)
		if staged {
			created, err = insertStaged(ctx, tx, rs, out)
		} else {
			created, err = insertDirect(ctx, tx, rs, out)
		}
		if err != nil || len(created) == 0 {
			return err
		}
		if err := db.settle(ctx, tx, created); err != nil {
			return err
		}
		if then != nil {
			if err := then(tx, created); err != nil {
				return err
			}
		}
		ev.ObjectType = "report"
		if len(created) == 1 {
			ev.ObjectID = created[0].String()
		}
		ev.Detail = map[string]any{"created": len(created), "ids": created}
		return writeAudit(ctx, tx, ev)
	})
	if err != nil {
		return nil, mapErr("insert reports", err)
	}
	return out, nil
}

// insertDirect classifies the batch against what is stored and copies the
// new reports into the table.
func insertDirect(ctx context.Context, tx pgx.Tx, rs []intel.Report, out []Outcome) ([]uuid.UUID, error) {
	agencies, refs := make([]uuid.UUID, len(rs)), make([]string, len(rs))
	for i, r := range rs {
		agencies[i], refs[i] = r.AgencyID, r.ExternalRef
	}
	rows, err := tx.Query(ctx, existingRefsSQL, agencies, refs)
	if err != nil {
		return nil, err
	}
	have := map[refKey]stored{}
	var (
		k  refKey
		st stored
	)
	if _, err := pgx.ForEachRow(rows, []any{&k.agency, &k.ref, &st.id, &st.hash}, func() error {
		have[k] = st
		return nil
	}); err != nil {
		return nil, err
	}
	var fresh []int
	for i := range rs {
		r := &rs[i]
		hash := r.ContentHash()
		key := refKey{r.AgencyID, r.ExternalRef}
		if prev, ok := have[key]; ok {
			out[i] = Outcome{prev.id, Conflict}
			if bytes.Equal(prev.hash, hash) {
				out[i].Status = Duplicate
			}
			continue
		}
		// The first of a ref in the batch is stored; later ones compare with it.
		have[key] = stored{r.ID, hash}
		out[i] = Outcome{r.ID, Created}
		fresh = append(fresh, i)
	}
	var rowErr error
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"reports"}, reportColumns, pgx.CopyFromSlice(len(fresh), func(j int) ([]any, error) {
		r := &rs[fresh[j]]
		row, err := reportRow(r, have[refKey{r.AgencyID, r.ExternalRef}].hash)
		rowErr = err
		return row, err
	}))
	if err != nil {
		var pgErr *pgconn.PgError
		if rowErr == nil && errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return nil, ErrConflict
		}
		return nil, err
	}
	created := make([]uuid.UUID, len(fresh))
	for j, i := range fresh {
		created[j] = rs[i].ID
	}
	return created, nil
}

// insertStaged stores the batch through a staging table with ON CONFLICT,
// which holds whatever other transactions do meanwhile.
func insertStaged(ctx context.Context, tx pgx.Tx, rs []intel.Report, out []Outcome) ([]uuid.UUID, error) {
	if _, err := tx.Exec(ctx, createStageSQL); err != nil {
		return nil, err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"report_stage"}, stageColumns, pgx.CopyFromSlice(len(rs), func(i int) ([]any, error) {
		row, err := reportRow(&rs[i], rs[i].ContentHash())
		return append([]any{i}, row...), err
	}))
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, insertStagedSQL); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, stagedOutcomesSQL)
	if err != nil {
		return nil, err
	}
	var (
		ord             int
		id              uuid.UUID
		isNew, sameHash bool
		created         []uuid.UUID
	)
	_, err = pgx.ForEachRow(rows, []any{&ord, &id, &isNew, &sameHash}, func() error {
		switch {
		case isNew:
			out[ord] = Outcome{id, Created}
			created = append(created, id)
		case sameHash:
			out[ord] = Outcome{id, Duplicate}
		default:
			out[ord] = Outcome{id, Conflict}
		}
		return nil
	})
	return created, err
}

const selectReportSQL = `SELECT id, agency_id, external_ref, category, indicators, observed_at, ST_Y(geom), ST_X(geom),
	precision_m, source, assessment, handling, conditions, classification, narrative, status, review_at, cell, seq,
	created_at, updated_at, suggested_grading, coalesce(original_narrative, ''), outcome, outcome_reference, duplicate_of,
	evaluated_at, corroborated FROM reports`

func scanReport(row pgx.CollectableRow) (intel.Report, error) {
	var (
		r         intel.Report
		cell      int64
		suggested []byte
		outcome   *string
		reference string
		dup       *uuid.UUID
		at        *time.Time
	)
	err := row.Scan(&r.ID, &r.AgencyID, &r.ExternalRef, &r.Category, &r.Indicators, &r.ObservedAt, &r.Location.Lat, &r.Location.Lon,
		&r.PrecisionM, &r.Grading.Source, &r.Grading.Assessment, &r.Grading.Handling, &r.Grading.Conditions, &r.Classification,
		&r.Narrative, &r.Status, &r.ReviewAt, &cell, &r.Seq, &r.CreatedAt, &r.UpdatedAt, &suggested, &r.OriginalNarrative,
		&outcome, &reference, &dup, &at, &r.Corroborated)
	if err != nil {
		return r, err
	}
	r.Cell = hexgrid.Cell(cell)
	r.ObservedAt, r.ReviewAt = r.ObservedAt.UTC(), r.ReviewAt.UTC()
	r.Graded = r.Status != intel.StatusPending
	if suggested != nil {
		r.SuggestedGrading = &intel.Grading{}
		if err := json.Unmarshal(suggested, r.SuggestedGrading); err != nil {
			return r, err
		}
	}
	if outcome != nil && at != nil {
		r.Evaluation = &intel.Evaluation{Outcome: *outcome, Reference: reference, DuplicateOf: dup, At: at.UTC()}
	}
	return r, nil
}

// Report returns one report.
func (db *DB) Report(ctx context.Context, id uuid.UUID) (intel.Report, error) {
	r, err := one(ctx, db.pool, selectReportSQL+` WHERE id = $1`, scanReport, id)
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
	// Cell selects the reports a hotspot cell counts: those its cell holds
	// (at resolutions 6 to 10; at coarser ones, those whose finest cell
	// descends from it).
	Cell hexgrid.Cell
	// ReviewBefore selects reports due for review before it.
	ReviewBefore time.Time
	// After pages: reports with an id above it, in id order.
	After uuid.UUID
	// PendingOf, when set, keeps the reports waiting for evaluation of
	// that agency only (the others' are for evaluators).
	PendingOf *uuid.UUID
	// Order orders the reports; Offset pages an order by time.
	Order  ReportOrder
	Offset int
	Limit  int
}

// ReportOrder is the order of a list of reports.
type ReportOrder int

// The orders of a list of reports: by id (creation time, which After
// pages), by observation time, or by creation time, newest first.
const (
	ByID ReportOrder = iota
	NewestFirst
	OldestFirst
	// LatestSubmittedFirst is by creation time, newest first (ids are
	// version 7 UUIDs, in creation order).
	LatestSubmittedFirst
)

// Reports returns the reports matching f, in id (creation time) order
// unless f orders them by time.
func (db *DB) Reports(ctx context.Context, f ReportFilter) ([]intel.Report, error) {
	w, err := f.where()
	if err != nil {
		return nil, err
	}
	order := map[ReportOrder]string{ByID: "id", NewestFirst: "observed_at DESC, id", OldestFirst: "observed_at, id", LatestSubmittedFirst: "id DESC"}[f.Order]
	sql, args := w.query(selectReportSQL, order, f.Limit)
	if f.Offset > 0 {
		args = append(args, f.Offset)
		sql += fmt.Sprintf(" OFFSET $%d", len(args))
	}
	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr("reports", err)
	}
	rs, err := pgx.CollectRows(rows, scanReport)
	return rs, mapErr("reports", err)
}

// CountReports is the number of reports matching f, whatever its page.
func (db *DB) CountReports(ctx context.Context, f ReportFilter) (int, error) {
	w, err := f.where()
	if err != nil {
		return 0, err
	}
	var n int
	err = db.pool.QueryRow(ctx, w.count("reports"), w.args...).Scan(&n)
	return n, mapErr("count reports", err)
}

// where is f's conditions.
func (f ReportFilter) where() (filter, error) {
	var w filter
	add := w.add
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
	if res := f.Cell.Resolution(); f.Cell != 0 && res >= hexgrid.MinRes && res <= hexgrid.MaxRes {
		// The cell's bounds find the candidates by index; the stored cells decide.
		poly, err := f.Cell.Polygon()
		if err != nil {
			return w, fmt.Errorf("store: reports: %w", err)
		}
		b := poly.Bound()
		add("geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
		add("cells[?] = ?", res-hexgrid.MinRes+1, int64(f.Cell))
	} else if f.Cell != 0 {
		lo, hi := f.Cell.StoreRange()
		add("cell BETWEEN ? AND ?", int64(lo), int64(hi))
	}
	if !f.ReviewBefore.IsZero() {
		add("review_at < ?", f.ReviewBefore)
	}
	if f.After != uuid.Nil {
		add("id > ?", f.After)
	}
	if f.PendingOf != nil {
		add("(status <> 'pending_evaluation' OR agency_id = ?)", *f.PendingOf)
	}
	return w, nil
}

// Version is a report as it was before a change: its seq then, its
// status, and its content as submitted (JSON).
type Version struct {
	Seq     int64
	Status  string
	Content []byte
}

// AmendReport replaces the content of a report, if it has not changed
// since it was read (prev.Seq), keeps the previous version in
// report_versions (which erasure clears) and records the change.
func (db *DB) AmendReport(ctx context.Context, r intel.Report, prev Version, ev AuditEvent) (intel.Report, error) {
	var out intel.Report
	seq := prev.Seq
	err := db.reportsTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, seqLockSQL); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO report_versions (report_id, seq, content, status, changed_by) VALUES ($1, $2, $3, $4, $5)`,
			r.ID, prev.Seq, prev.Content, prev.Status, ev.Actor); err != nil {
			return err
		}
		// Where and when it was may change: its marks go, and come back below where it still counts.
		if err := db.uncorroborate(ctx, tx, []uuid.UUID{r.ID}); err != nil {
			return err
		}
		var suggested []byte
		if r.SuggestedGrading != nil {
			var err error
			if suggested, err = json.Marshal(r.SuggestedGrading); err != nil {
				return err
			}
		}
		// A report that waits for evaluation again loses the sanitised text
		// of the last one; one that never counted keeps a negative seq.
		tag, err := tx.Exec(ctx, `UPDATE reports SET category = $3, indicators = $4, observed_at = $5,
			geom = ST_SetSRID(ST_MakePoint($6, $7), 4326), precision_m = $8, source = $9, assessment = $10, handling = $11,
			conditions = $12, classification = $13, narrative = $14, review_at = $15, cell = $16, content_hash = $17,
			cells = $18, spread_cells = $19, spread_weights = $20, status = $21, suggested_grading = $22, corroborated = false,
			original_narrative = CASE WHEN $21 = 'pending_evaluation' THEN NULL ELSE original_narrative END,
			counted_at = CASE WHEN $21 = 'live' AND status <> 'live' THEN now() ELSE counted_at END,
			seq = CASE WHEN $21 = 'live' OR status = 'live' THEN nextval('report_seq') ELSE -nextval('report_seq') END, updated_at = now()
			WHERE id = $1 AND seq = $2`,
			r.ID, seq, r.Category, r.Indicators, r.ObservedAt, r.Location.Lon, r.Location.Lat, r.PrecisionM, r.Grading.Source,
			r.Grading.Assessment, r.Grading.Handling, r.Grading.Conditions, r.Classification, r.Narrative, r.ReviewAt,
			int64(r.Cell), r.ContentHash(), cellsOf(r.Cells), spreadCells(r.Spread), spreadWeights(r.Spread),
			cmp.Or(r.Status, intel.StatusLive), suggested)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("report changed while being amended: %w", ErrConflict)
		}
		if err := db.corroborate(ctx, tx, []uuid.UUID{r.ID}); err != nil {
			return err
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
	err := db.reportsTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, seqLockSQL); err != nil {
			return err
		}
		if err := db.uncorroborate(ctx, tx, []uuid.UUID{id}); err != nil {
			return err
		}
		// A report that never counted keeps a negative seq.
		tag, err := tx.Exec(ctx, `UPDATE reports SET status = 'withdrawn', updated_at = now(),
			seq = CASE WHEN status = 'live' THEN nextval('report_seq') ELSE -nextval('report_seq') END
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
	err := db.reportsTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, seqLockSQL); err != nil {
			return err
		}
		if err := db.uncorroborate(ctx, tx, []uuid.UUID{id}); err != nil {
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
	return one(ctx, tx, selectReportSQL+` WHERE id = $1`, scanReport, id)
}

// ReportCount is the number of stored reports.
func (db *DB) ReportCount(ctx context.Context) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM reports`).Scan(&n)
	return n, mapErr("count reports", err)
}

// cellsOf is a report's cells as stored: resolution 6 first.
func cellsOf(cs hexgrid.Cells) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = int64(c)
	}
	return out
}

// spreadCells and spreadWeights are a report's spread as stored: two
// arrays of the same length, NULL when it has none.
func spreadCells(sh []hexgrid.Share) []int64 {
	if len(sh) == 0 {
		return nil
	}
	out := make([]int64, len(sh))
	for i, s := range sh {
		out[i] = int64(s.Cell)
	}
	return out
}

func spreadWeights(sh []hexgrid.Share) []float32 {
	if len(sh) == 0 {
		return nil
	}
	out := make([]float32, len(sh))
	for i, s := range sh {
		out[i] = float32(s.Weight)
	}
	return out
}

// sharesOf reads a stored spread back.
func sharesOf(cells []int64, weights []float32) []hexgrid.Share {
	if len(cells) == 0 || len(cells) != len(weights) {
		return nil
	}
	out := make([]hexgrid.Share, len(cells))
	for i := range cells {
		out[i] = hexgrid.Share{Cell: hexgrid.Cell(cells[i]), Weight: float64(weights[i])}
	}
	return out
}
