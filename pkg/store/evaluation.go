package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// Corroboration is how close two counted reports of different agencies
// must be, in space and in time, to corroborate each other.
type Corroboration struct {
	Metres float64
	Days   int
}

// DefaultCorroboration is 150 m and 7 days.
var DefaultCorroboration = Corroboration{Metres: 150, Days: 7}

// settle finishes the storing of new reports, in their transaction:
// pending ones take a negative seq (followers of seq, and so the data
// version, never see a report that has never counted), counted ones are
// checked for corroboration.
func (db *DB) settle(ctx context.Context, tx pgx.Tx, ids []uuid.UUID) error {
	if _, err := tx.Exec(ctx, `UPDATE reports SET seq = -seq WHERE id = ANY($1) AND status = 'pending_evaluation'`, ids); err != nil {
		return err
	}
	return db.corroborate(ctx, tx, ids)
}

// corroborate marks the counted reports among ids, and the counted reports
// of other agencies near them in space and time, as corroborated (with a
// new seq, so that the engine reads it). A report's candidates are the
// live reports of the cells that may hold a point within the distance of
// it (corroborationCells), observed within the days (migration 16's
// indexes, index-only): one probe per
// report for whether any other agency's report corroborates it (the first
// found will do), one for the reports not yet corroborated that it
// corroborates. The cost of a batch grows with the batch, not with the
// table or the number of agencies; a box (a degree of latitude is over
// 110 km, one of longitude over 111 km times the cosine of the latitude,
// taken a little poleward), compared on the coordinates so that no plan
// takes the geometry index for it, sorts out most candidates, the
// distance on the sphere decides.
func (db *DB) corroborate(ctx context.Context, tx pgx.Tx, ids []uuid.UUID) error {
	c := db.corroboration
	probeIDs, probeCells, err := db.corroborationProbes(ctx, tx, ids)
	if err != nil || len(probeIDs) == 0 {
		return err // no live report among ids: nothing corroborates or is corroborated
	}
	// Compiling this statement costs more than running it.
	if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `WITH n AS (SELECT r.id, r.agency_id, r.geom, r.observed_at, p.cells FROM reports r
			JOIN (SELECT id, array_agg(cell) AS cells FROM unnest($4::uuid[], $5::bigint[]) AS u(id, cell) GROUP BY id) p ON p.id = r.id
			WHERE r.status = 'live'),
		self AS (SELECT n.id FROM n CROSS JOIN LATERAL (SELECT 1 FROM reports r WHERE `+corroboratesNew+` LIMIT 1) r),
		others AS (SELECT r.id FROM n CROSS JOIN LATERAL (SELECT r.id FROM reports r WHERE `+corroboratesNew+` AND NOT r.corroborated) r),
		ids AS (SELECT id FROM self UNION SELECT id FROM others
			UNION SELECT r.id FROM reports r WHERE r.id = ANY($1) AND r.status = 'live' AND EXISTS (SELECT 1 FROM reports d
				WHERE d.duplicate_of = r.id AND d.agency_id <> r.agency_id AND d.status = 'not_counted'))
		UPDATE reports SET corroborated = true, seq = nextval('report_seq')
		WHERE id IN (SELECT id FROM ids) AND NOT corroborated`, ids, c.Metres, c.Days, probeIDs, probeCells)
	return err
}

// corroboratesNew is the condition, in corroborate's statement, of a
// report r that a new report n (a row of its CTE n, with its cells)
// corroborates and is corroborated by: live, of another agency, in one of
// n's cells, within the days ($3) and, after the box, the metres ($2).
const corroboratesNew = corroborationCell + ` = ANY(n.cells) AND r.status = 'live'
	AND r.observed_at BETWEEN n.observed_at - make_interval(days => $3) AND n.observed_at + make_interval(days => $3)
	AND r.agency_id <> n.agency_id
	AND abs(ST_X(r.geom) - ST_X(n.geom)) <= $2::float8 / (111000.0 * cos(radians(least(89.9, abs(ST_Y(n.geom)) + $2::float8 / 110000.0))))
	AND abs(ST_Y(r.geom) - ST_Y(n.geom)) <= $2::float8 / 110000.0
	AND ST_DWithin(r.geom::geography, n.geom::geography, $2::float8)`

// corroborationCell is the indexed cell of a report r in SQL: its stored
// cell, at corroborationRes.
const corroborationCell = `r.cell`

// corroborationRes is the resolution of the cells corroboration probes.
const corroborationRes = hexgrid.StoreRes

// corroborationRing is the ring radius, in cells of corroborationRes, that
// holds every point within metres of a point of the centre cell: a cell
// k+1 rings away is at least k edges (over 60 m each in the United
// Kingdom) from the centre one, where cells meet at a corner.
func corroborationRing(metres float64) int { return int(math.Floor(metres/50)) + 1 }

// cellReach is more than the distance from a cell's centre to its
// corners (at resolution 10, at most 78.5 m in the United Kingdom and
// 84 m anywhere).
const cellReach = 90.0

// corroborationCells are the cells that may hold a point within metres of
// (lat, lon): those of its ring (corroborationRing) whose centre lies
// within metres + cellReach of it (1 % more metres: the distance on the
// ellipsoid that decides may exceed the sphere's near the equator). For the default 150 m, about 14 cells
// (0.2 km²) of the ring's 61; TestCorroborationRingHoldsTheDistance checks
// that none is missed.
func corroborationCells(lat, lon, metres float64) ([]hexgrid.Cell, error) {
	c, err := hexgrid.Of(lat, lon, corroborationRes)
	if err != nil {
		return nil, err
	}
	disk, err := c.Disk(corroborationRing(metres))
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(disk, func(d hexgrid.Cell) bool {
		centre, err := d.Center()
		return err == nil && greatCircle(lat, lon, centre.Lat(), centre.Lon()) > 1.01*metres+cellReach
	}), nil
}

// greatCircle is the distance in metres between two points on the sphere
// of the Earth's mean radius (haversine).
func greatCircle(lat1, lon1, lat2, lon2 float64) float64 {
	const earth, rad = 6371008.8, math.Pi / 180
	dφ, dλ := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * earth * math.Asin(math.Sqrt(a))
}

// corroborationProbes are the (report, cell) pairs to probe for ids: each
// counted report with every cell that may hold a point near it.
func (db *DB) corroborationProbes(ctx context.Context, tx pgx.Tx, ids []uuid.UUID) ([]uuid.UUID, []int64, error) {
	rows, err := tx.Query(ctx, `SELECT id, ST_Y(geom), ST_X(geom) FROM reports WHERE id = ANY($1) AND status = 'live'`, ids)
	if err != nil {
		return nil, nil, err
	}
	var (
		probeIDs []uuid.UUID
		cells    []int64
		id       uuid.UUID
		lat, lon float64
	)
	_, err = pgx.ForEachRow(rows, []any{(*[16]byte)(&id), &lat, &lon}, func() error {
		near, err := corroborationCells(lat, lon, db.corroboration.Metres)
		if err != nil {
			return err
		}
		for _, d := range near {
			probeIDs, cells = append(probeIDs, id), append(cells, int64(d))
		}
		return nil
	})
	return probeIDs, cells, err
}

// uncorroborate is corroborate's converse, before report id stops counting
// (withdrawn, erased, evaluated as not counting, moved or waiting again):
// the counted reports it corroborated (near it, or repeated by it) and
// that nothing else corroborates lose the mark, with a new seq. The
// report's new state, if it counts, is marked again by corroborate.
func (db *DB) uncorroborate(ctx context.Context, tx pgx.Tx, ids []uuid.UUID) error {
	c := db.corroboration
	_, err := tx.Exec(ctx, `WITH x AS (SELECT geom, observed_at, duplicate_of FROM reports WHERE id = ANY($1)),
		near AS (SELECT o.id, o.agency_id, o.geom, o.observed_at FROM x JOIN reports o ON o.status = 'live' AND o.corroborated AND o.id <> ALL($1)
			AND ((o.geom && ST_Expand(x.geom, $2::float8 / (111000.0 * cos(radians(least(89.9, abs(ST_Y(x.geom)) + $2::float8 / 110000.0)))), $2::float8 / 110000.0) AND ST_DWithin(o.geom::geography, x.geom::geography, $2::float8)
				AND o.observed_at BETWEEN x.observed_at - make_interval(days => $3) AND x.observed_at + make_interval(days => $3))
			OR o.id = x.duplicate_of)),
		still AS (SELECT n.id FROM near n WHERE EXISTS (SELECT 1 FROM agencies o JOIN reports p ON p.agency_id = o.id
				WHERE o.id <> n.agency_id AND p.id <> ALL($1) AND p.status = 'live'
				AND p.geom && ST_Expand(n.geom, $2::float8 / (111000.0 * cos(radians(least(89.9, abs(ST_Y(n.geom)) + $2::float8 / 110000.0)))), $2::float8 / 110000.0) AND ST_DWithin(p.geom::geography, n.geom::geography, $2::float8)
				AND p.observed_at BETWEEN n.observed_at - make_interval(days => $3) AND n.observed_at + make_interval(days => $3))
			OR EXISTS (SELECT 1 FROM reports d WHERE d.id <> ALL($1) AND d.duplicate_of = n.id AND d.agency_id <> n.agency_id AND d.status = 'not_counted'))
		UPDATE reports SET corroborated = false, seq = nextval('report_seq')
		WHERE id IN (SELECT id FROM near EXCEPT SELECT id FROM still)`, ids, c.Metres, c.Days)
	return err
}

// Evaluate is an evaluator's decision about a report.
type Evaluate struct {
	Grading   intel.Grading
	Outcome   string
	Reference string
	// DuplicateOf is the counted report this one repeats (OutcomeDuplicate).
	DuplicateOf *uuid.UUID
	// Narrative, when set, replaces the narrative that analysts and
	// exports see; the original stays for evaluators.
	Narrative *string
	Actor     string
}

// EvaluateReport records an evaluation of a pending or evaluated report,
// as a new version, and applies it: the grading, the outcome (counting or
// not), the sanitised narrative, corroboration. The audit event says the
// outcome and version, never the narrative. A withdrawn report is a
// conflict.
func (db *DB) EvaluateReport(ctx context.Context, id uuid.UUID, e Evaluate, ev AuditEvent) (version int, err error) {
	versions, err := db.EvaluateReports(ctx, []Evaluation{{ID: id, Evaluate: e, Event: ev}})
	if err != nil {
		return 0, err
	}
	return versions[0], nil
}

// Evaluation is one evaluation of a batch: the report, the decision and
// its audit event.
type Evaluation struct {
	ID       uuid.UUID
	Evaluate Evaluate
	Event    AuditEvent
}

// EvaluateReports records evaluations of distinct reports in one
// transaction, all of them or, when one fails, none, and returns their
// versions. Each is what EvaluateReport records, its audit event among
// it; the batch is written by a statement per step, not per report.
func (db *DB) EvaluateReports(ctx context.Context, es []Evaluation) (versions []int, err error) {
	err = db.reportsTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, seqLockSQL); err != nil {
			return err
		}
		versions, err = db.evaluate(ctx, tx, es)
		return err
	})
	return versions, mapErr("evaluate reports", err)
}

// evaluate records and applies evaluations in tx, which holds the seq
// lock. Corroboration is a function of the reports' states, so the batch
// first takes away the marks its reports gave (as if none of them
// counted), applies every evaluation, then marks what they corroborate
// now: the state that evaluating them one by one leaves.
func (db *DB) evaluate(ctx context.Context, tx pgx.Tx, es []Evaluation) ([]int, error) {
	n := len(es)
	var (
		ids, dupAgencies                     = make([]uuid.UUID, n), make([]uuid.UUID, n)
		dups                                 = make([]pgtype.UUID, n)
		narratives                           = make([]pgtype.Text, n)
		sources                              = make([]int, n)
		assessments, handlings, conds, stats = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		actors, outcomes, refs               = make([]string, n), make([]string, n), make([]string, n)
		sanitised                            = make([]bool, n)
		versions                             = make([]int, n)
	)
	at := make(map[uuid.UUID]int, n)
	for i, x := range es {
		if _, twice := at[x.ID]; twice {
			return nil, fmt.Errorf("report %s is twice in one batch: %w", x.ID, ErrConflict)
		}
		at[x.ID] = i
		e, g := x.Evaluate, x.Evaluate.Grading
		ids[i], actors[i], outcomes[i], refs[i] = x.ID, e.Actor, e.Outcome, e.Reference
		sources[i], assessments[i], handlings[i], conds[i] = g.Source, g.Assessment, g.Handling, g.Conditions
		stats[i] = intel.StatusNotCounted
		if intel.Counts(e.Outcome) {
			stats[i] = intel.StatusLive
		}
		if e.DuplicateOf != nil {
			dups[i] = pgtype.UUID{Bytes: *e.DuplicateOf, Valid: true}
		}
		if e.Narrative != nil {
			narratives[i], sanitised[i] = pgtype.Text{String: *e.Narrative, Valid: true}, true
		}
	}
	rows, err := tx.Query(ctx, `SELECT r.id, r.status, r.agency_id, coalesce(v.version, 0) + 1 FROM reports r
		LEFT JOIN LATERAL (SELECT max(version) AS version FROM evaluations WHERE report_id = r.id) v ON true
		WHERE r.id = ANY($1) FOR UPDATE OF r`, ids)
	if err != nil {
		return nil, err
	}
	var (
		id, agency uuid.UUID
		old        string
		version    int
		found      int
		counted    []uuid.UUID // evaluated or counting before: it may have corroborated others
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &old, &agency, &version}, func() error {
		if old == intel.StatusWithdrawn {
			return ErrConflict
		}
		i := at[id]
		versions[i], dupAgencies[i] = version, agency
		if old != intel.StatusPending {
			counted = append(counted, id)
		}
		found++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found < n {
		return nil, pgx.ErrNoRows
	}
	if len(counted) > 0 {
		if err := db.uncorroborate(ctx, tx, counted); err != nil {
			return nil, err
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO evaluations (report_id, version, actor, source, assessment, handling, conditions, outcome,
		reference, duplicate_of, sanitised)
		SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::uuid[], $11::bool[])`,
		ids, versions, actors, sources, assessments, handlings, conds, outcomes, refs, dups, sanitised); err != nil {
		return nil, err
	}
	// A report that never counted and still does not keeps a negative seq.
	if _, err := tx.Exec(ctx, `UPDATE reports r SET source = u.source, assessment = u.assessment, handling = u.handling,
		conditions = u.conditions, status = u.status, outcome = u.outcome, outcome_reference = u.reference, duplicate_of = u.duplicate_of,
		evaluated_at = now(),
		counted_at = CASE WHEN u.status = 'live' AND r.status <> 'live' THEN now() ELSE r.counted_at END,
		original_narrative = CASE WHEN u.narrative IS NULL THEN r.original_narrative ELSE coalesce(r.original_narrative, r.narrative) END,
		narrative = coalesce(u.narrative, r.narrative), corroborated = false,
		seq = CASE WHEN u.status = 'live' OR r.status = 'live' THEN nextval('report_seq') ELSE -nextval('report_seq') END,
		updated_at = now()
		FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::uuid[], $10::text[])
			AS u(id, source, assessment, handling, conditions, status, outcome, reference, duplicate_of, narrative)
		WHERE r.id = u.id`,
		ids, sources, assessments, handlings, conds, stats, outcomes, refs, dups, narratives); err != nil {
		return nil, err
	}
	if err := db.corroborate(ctx, tx, ids); err != nil {
		return nil, err
	}
	// A duplicate from another agency corroborates the report it repeats.
	if _, err := tx.Exec(ctx, `UPDATE reports r SET corroborated = true, seq = nextval('report_seq')
		FROM unnest($1::uuid[], $2::uuid[]) AS u(duplicate_of, agency_id)
		WHERE r.id = u.duplicate_of AND r.agency_id <> u.agency_id AND r.status = 'live' AND NOT r.corroborated`, dups, dupAgencies); err != nil {
		return nil, err
	}
	evs := make([]AuditEvent, n)
	for i, x := range es {
		ev := x.Event
		ev.ObjectType, ev.ObjectID = "report", x.ID.String()
		detail := map[string]any{"outcome": x.Evaluate.Outcome, "version": versions[i], "sanitised": sanitised[i], "reference_given": refs[i] != ""}
		if x.Evaluate.DuplicateOf != nil {
			detail["duplicate_of"] = x.Evaluate.DuplicateOf.String()
		}
		ev.Detail = detail
		evs[i] = ev
	}
	return versions, writeAudits(ctx, tx, evs)
}

// PendingFilter selects the evaluation queue.
type PendingFilter struct {
	AgencyIDs  []uuid.UUID
	Categories []string
	// BBox is west, south, east, north in degrees.
	BBox *[4]float64
	// After pages: reports submitted after this one (created_at, id).
	AfterAt time.Time
	AfterID uuid.UUID
	Limit   int
}

// PendingReports is the evaluation queue: reports waiting for evaluation,
// oldest first.
func (db *DB) PendingReports(ctx context.Context, f PendingFilter) ([]intel.Report, error) {
	w := f.where()
	if f.AfterID != uuid.Nil {
		w.add("(created_at, id) > (?, ?)", f.AfterAt, f.AfterID)
	}
	sql, args := w.query(selectReportSQL, "created_at, id", f.Limit)
	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr("pending reports", err)
	}
	rs, err := pgx.CollectRows(rows, scanReport)
	return rs, mapErr("pending reports", err)
}

// CountPending is the number of reports waiting for evaluation that f
// selects, whatever its page: the length of the whole queue.
func (db *DB) CountPending(ctx context.Context, f PendingFilter) (int, error) {
	w := f.where()
	var n int
	err := db.pool.QueryRow(ctx, w.count("reports"), w.args...).Scan(&n)
	return n, mapErr("count pending reports", err)
}

// where is f's conditions, its page aside.
func (f PendingFilter) where() filter {
	var w filter
	w.add("status = 'pending_evaluation'")
	if len(f.AgencyIDs) > 0 {
		w.add("agency_id = ANY(?)", f.AgencyIDs)
	}
	if len(f.Categories) > 0 {
		w.add("category = ANY(?)", f.Categories)
	}
	if f.BBox != nil {
		w.add("geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)", f.BBox[0], f.BBox[1], f.BBox[2], f.BBox[3])
	}
	return w
}

// FeedbackRow is one agency's submissions of a month and what became of them.
type FeedbackRow struct {
	AgencyID  uuid.UUID      `json:"agency_id"`
	Agency    string         `json:"agency"`
	Submitted int            `json:"submitted"`
	Pending   int            `json:"pending"`
	Evaluated int            `json:"evaluated"`
	Withdrawn int            `json:"withdrawn"`
	Outcomes  map[string]int `json:"outcomes"`
	// SelfGraded counted without evaluation: their agency grades its own.
	SelfGraded int `json:"self_graded"`
	// MedianHoursToEvaluation is from submission to first evaluation, over
	// the evaluated ones; nil when none was.
	MedianHoursToEvaluation *float64 `json:"median_hours_to_evaluation"`
}

// Feedback counts the reports submitted from from to to (their creation
// time), by agency: one agency, or every agency when agency is nil. With
// asOf set, each report is counted as it stood then (pending, evaluated,
// withdrawn, its outcome): figures of a past month that no later
// evaluation or withdrawal moves.
func (db *DB) Feedback(ctx context.Context, from, to time.Time, agency *uuid.UUID, asOf *time.Time) ([]FeedbackRow, error) {
	sql := feedbackSQL
	args := []any{from, to, agency}
	if asOf != nil {
		sql, args = feedbackAsOfSQL, append(args, *asOf)
	}
	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr("feedback", err)
	}
	var (
		out                           []FeedbackRow
		fr                            FeedbackRow
		counted, safe, crime, nfa, du int
	)
	_, err = pgx.ForEachRow(rows, []any{&fr.AgencyID, &fr.Agency, &fr.Submitted, &fr.Pending, &fr.Evaluated, &fr.Withdrawn,
		&counted, &safe, &crime, &nfa, &du, &fr.SelfGraded, &fr.MedianHoursToEvaluation}, func() error {
		row := fr
		row.Outcomes = map[string]int{intel.OutcomeIntelligence: counted, intel.OutcomeSafeguarding: safe, intel.OutcomeCrimeReport: crime,
			intel.OutcomeNFA: nfa, intel.OutcomeDuplicate: du}
		out = append(out, row)
		return nil
	})
	return out, mapErr("feedback", err)
}

const feedbackSQL = `SELECT a.id, a.name, count(r.id),
		count(r.id) FILTER (WHERE r.status = 'pending_evaluation'),
		count(r.id) FILTER (WHERE e.first IS NOT NULL),
		count(r.id) FILTER (WHERE r.status = 'withdrawn'),
		count(r.id) FILTER (WHERE r.outcome = 'intelligence'),
		count(r.id) FILTER (WHERE r.outcome = 'safeguarding_referral'),
		count(r.id) FILTER (WHERE r.outcome = 'crime_report'),
		count(r.id) FILTER (WHERE r.outcome = 'no_further_action'),
		count(r.id) FILTER (WHERE r.outcome = 'duplicate_of'),
		count(r.id) FILTER (WHERE e.first IS NULL AND r.status = 'live'),
		percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.first - r.created_at) / 3600)
		FROM agencies a
		LEFT JOIN reports r ON r.agency_id = a.id AND r.created_at >= $1 AND r.created_at < $2
		LEFT JOIN LATERAL (SELECT min(created_at) AS first FROM evaluations WHERE report_id = r.id) e ON true
		WHERE $3::uuid IS NULL OR a.id = $3
		GROUP BY a.id, a.name ORDER BY lower(a.name)`

// feedbackAsOfSQL is feedbackSQL as the reports stood at $4: evaluations
// and withdrawals after it are not counted, outcomes are those of the last
// evaluation before it. A report went to evaluation when it waits or was
// evaluated; one withdrawn (its last change) before $4 counts as withdrawn.
const feedbackAsOfSQL = `SELECT a.id, a.name, count(r.id),
		count(r.id) FILTER (WHERE w.evaluation AND (e.first IS NULL OR e.first >= $4) AND NOT w.withdrawn),
		count(r.id) FILTER (WHERE e.first < $4),
		count(r.id) FILTER (WHERE w.withdrawn),
		count(r.id) FILTER (WHERE l.outcome = 'intelligence'),
		count(r.id) FILTER (WHERE l.outcome = 'safeguarding_referral'),
		count(r.id) FILTER (WHERE l.outcome = 'crime_report'),
		count(r.id) FILTER (WHERE l.outcome = 'no_further_action'),
		count(r.id) FILTER (WHERE l.outcome = 'duplicate_of'),
		count(r.id) FILTER (WHERE NOT w.evaluation AND NOT w.withdrawn),
		percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.first - r.created_at) / 3600) FILTER (WHERE e.first < $4)
		FROM agencies a
		LEFT JOIN reports r ON r.agency_id = a.id AND r.created_at >= $1 AND r.created_at < $2
		LEFT JOIN LATERAL (SELECT min(created_at) AS first FROM evaluations WHERE report_id = r.id) e ON true
		LEFT JOIN LATERAL (SELECT outcome FROM evaluations WHERE report_id = r.id AND created_at < $4 ORDER BY version DESC LIMIT 1) l ON true
		LEFT JOIN LATERAL (SELECT r.status IN ('pending_evaluation', 'not_counted') OR e.first IS NOT NULL AS evaluation,
			coalesce(r.status = 'withdrawn' AND r.updated_at < $4, false) AS withdrawn) w ON true
		WHERE $3::uuid IS NULL OR a.id = $3
		GROUP BY a.id, a.name ORDER BY lower(a.name)`

// NearestCounted is the counted report of another agency nearest to
// report id: what a duplicate of it would repeat.
func (db *DB) NearestCounted(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	other, err := one(ctx, db.pool, `SELECT o.id FROM reports r CROSS JOIN LATERAL (SELECT o.id FROM reports o
		WHERE o.status = 'live' AND o.agency_id <> r.agency_id ORDER BY o.geom <-> r.geom LIMIT 1) o WHERE r.id = $1`, pgx.RowTo[uuid.UUID], id)
	return other, mapErr("nearest counted report", err)
}
