package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// Location is a location of concern agreed at a tasking meeting, with the
// area in force now.
type Location struct {
	ID            uuid.UUID
	Name          string
	MeetingRef    string
	OwnerAgencyID uuid.UUID
	OwnerAgency   string
	Status        string // open or closed
	ClosedReason  string
	ReviewDate    *time.Time
	CreatedBy     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Area          LocationArea
	// Actions counts its actions by status, and Overdue those due before
	// today and neither done nor cancelled: every agency's, or one's (see
	// Locations).
	Actions map[string]int
	Overdue int
}

// LocationArea is one version of a location's area: cells of one
// resolution, their outline and, when it was drawn, the polygon drawn.
// ValidFrom is when it was drawn: now, unless a synthetic dataset (the
// demo) says when its meeting agreed it.
type LocationArea struct {
	LocationID uuid.UUID
	Version    int
	Res        int
	Cells      []int64
	Outline    orb.MultiPolygon
	Drawn      orb.Polygon
	ValidFrom  time.Time
}

// Action is an action an agency owns at a location.
type Action struct {
	ID            uuid.UUID
	LocationID    uuid.UUID
	Location      string
	Tactic        string
	OwnerAgencyID uuid.UUID
	OwnerAgency   string
	StartDate     time.Time
	DueDate       time.Time
	Status        string
	Note          string
	DoneAt        *time.Time
	CreatedBy     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// LocationChange is what an update of a location changes: nil is unchanged.
type LocationChange struct {
	Name, MeetingRef, Status, ClosedReason *string
	OwnerAgencyID                          *uuid.UUID
	ReviewDate                             **time.Time
	Area                                   *LocationArea
}

// ActionChange is what an update of an action changes: nil is unchanged.
type ActionChange struct {
	Tactic, Status, Note *string
	OwnerAgencyID        *uuid.UUID
	StartDate, DueDate   *time.Time
}

// geom is an optional geometry as PostGIS reads it.
func geom(g orb.Geometry) any {
	if g == nil {
		return nil
	}
	if p, ok := g.(orb.Polygon); ok && len(p) == 0 {
		return nil
	}
	return wkb.Value(g)
}

func insertArea(ctx context.Context, tx pgx.Tx, a *LocationArea) error {
	var from *time.Time
	if !a.ValidFrom.IsZero() {
		from = &a.ValidFrom
	}
	return tx.QueryRow(ctx, `INSERT INTO location_areas (location_id, version, res, cells, outline, drawn, valid_from)
		VALUES ($1, (SELECT coalesce(max(version), 0) + 1 FROM location_areas WHERE location_id = $1), $2, $3,
			ST_Multi(ST_SetSRID(ST_GeomFromWKB($4), 4326)), ST_SetSRID(ST_GeomFromWKB($5), 4326), coalesce($6, now()))
		RETURNING version, valid_from`, a.LocationID, int16(a.Res), a.Cells, wkb.Value(a.Outline), geom(a.Drawn), from).Scan(&a.Version, &a.ValidFrom)
}

// CreateLocation stores a location, its first area and the audit event of its making.
func (db *DB) CreateLocation(ctx context.Context, l Location, ev AuditEvent) (Location, error) {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO locations (id, name, meeting_ref, owner_agency_id, review_date, created_by)
			VALUES ($1, $2, $3, $4, $5, $6)`, l.ID, l.Name, l.MeetingRef, l.OwnerAgencyID, l.ReviewDate, l.CreatedBy); err != nil {
			return err
		}
		l.Area.LocationID = l.ID
		if err := insertArea(ctx, tx, &l.Area); err != nil {
			return err
		}
		ev.ObjectType, ev.ObjectID = "location", l.ID.String()
		ev.Detail = map[string]any{"name": l.Name, "meeting_ref": l.MeetingRef, "owner_agency_id": l.OwnerAgencyID,
			"res": l.Area.Res, "cells": len(l.Area.Cells), "drawn": len(l.Area.Drawn) > 0}
		return writeAudit(ctx, tx, ev)
	})
	if err != nil {
		return Location{}, mapErr("create location", err)
	}
	return db.Location(ctx, l.ID, uuid.Nil)
}

// UpdateLocation changes a location, and its area when the change has
// one (as a new version: the earlier stay), with the audit event of the change.
func (db *DB) UpdateLocation(ctx context.Context, id uuid.UUID, ch LocationChange, ev AuditEvent) (Location, error) {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE locations SET name = coalesce($2, name), meeting_ref = coalesce($3, meeting_ref),
			status = coalesce($4, status), closed_reason = CASE WHEN coalesce($4, status) = 'open' THEN '' ELSE coalesce($5, closed_reason) END,
			closed_at = CASE WHEN coalesce($4, status) = 'open' THEN NULL ELSE coalesce(closed_at, now()) END,
			owner_agency_id = coalesce($6, owner_agency_id), review_date = CASE WHEN $7 THEN $8 ELSE review_date END, updated_at = now()
			WHERE id = $1`, id, ch.Name, ch.MeetingRef, ch.Status, ch.ClosedReason, ch.OwnerAgencyID, ch.ReviewDate != nil, deref(ch.ReviewDate))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		detail := changeDetail(map[string]any{"name": ch.Name, "meeting_ref": ch.MeetingRef, "status": ch.Status,
			"closed_reason": ch.ClosedReason, "owner_agency_id": ch.OwnerAgencyID})
		if ch.ReviewDate != nil {
			detail["review_date"] = *ch.ReviewDate
		}
		if ch.Area != nil {
			ch.Area.LocationID = id
			if err := insertArea(ctx, tx, ch.Area); err != nil {
				return err
			}
			detail["area"] = map[string]any{"version": ch.Area.Version, "res": ch.Area.Res, "cells": len(ch.Area.Cells)}
		}
		ev.ObjectType, ev.ObjectID, ev.Detail = "location", id.String(), detail
		return writeAudit(ctx, tx, ev)
	})
	if err != nil {
		return Location{}, mapErr("update location", err)
	}
	return db.Location(ctx, id, uuid.Nil)
}

func deref[T any](p **T) *T {
	if p == nil {
		return nil
	}
	return *p
}

// changeDetail is the fields of a change that are set.
func changeDetail(fields map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range fields {
		switch x := v.(type) {
		case *string:
			if x != nil {
				out[k] = *x
			}
		case *uuid.UUID:
			if x != nil {
				out[k] = *x
			}
		case *time.Time:
			if x != nil {
				out[k] = x.Format(time.DateOnly)
			}
		}
	}
	return out
}

const locationSQL = `SELECT l.id, l.name, l.meeting_ref, l.owner_agency_id, ag.name, l.status, l.closed_reason, l.review_date,
		l.created_by, l.created_at, l.updated_at, a.version, a.res, a.cells, ST_AsBinary(a.outline), ST_AsBinary(a.drawn), a.valid_from,
		coalesce((SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM location_actions
			WHERE location_id = l.id AND ($1::uuid IS NULL OR owner_agency_id = $1) GROUP BY status) s), '{}'),
		(SELECT count(*) FROM location_actions WHERE location_id = l.id AND ($1::uuid IS NULL OR owner_agency_id = $1)
			AND status IN ('planned', 'in_progress') AND due_date < (now() AT TIME ZONE 'Europe/London')::date)
	FROM locations l JOIN agencies ag ON ag.id = l.owner_agency_id
	JOIN LATERAL (SELECT * FROM location_areas WHERE location_id = l.id ORDER BY version DESC LIMIT 1) a ON true`

func scanLocation(r pgx.CollectableRow) (Location, error) {
	var l Location
	var outline, drawn []byte
	err := r.Scan(&l.ID, &l.Name, &l.MeetingRef, &l.OwnerAgencyID, &l.OwnerAgency, &l.Status, &l.ClosedReason, &l.ReviewDate,
		&l.CreatedBy, &l.CreatedAt, &l.UpdatedAt, &l.Area.Version, &l.Area.Res, &l.Area.Cells, &outline, &drawn, &l.Area.ValidFrom,
		&l.Actions, &l.Overdue)
	if err != nil {
		return l, err
	}
	l.Area.LocationID = l.ID
	if g, err := wkb.Unmarshal(outline); err == nil {
		l.Area.Outline, _ = g.(orb.MultiPolygon)
	}
	if drawn != nil {
		if g, err := wkb.Unmarshal(drawn); err == nil {
			l.Area.Drawn, _ = g.(orb.Polygon)
		}
	}
	return l, nil
}

// Locations lists every location, open ones first, the newest first,
// counting the actions agency owns (every agency's when it is zero).
func (db *DB) Locations(ctx context.Context, agency uuid.UUID) ([]Location, error) {
	rows, err := db.pool.Query(ctx, locationSQL+` ORDER BY l.status = 'closed', l.created_at DESC`, nilUUID(agency))
	if err != nil {
		return nil, mapErr("locations", err)
	}
	out, err := pgx.CollectRows(rows, scanLocation)
	return out, mapErr("locations", err)
}

// Location is one location, counting the actions agency owns (every
// agency's when it is zero).
func (db *DB) Location(ctx context.Context, id, agency uuid.UUID) (Location, error) {
	l, err := one(ctx, db.pool, locationSQL+` WHERE l.id = $2`, scanLocation, nilUUID(agency), id)
	return l, mapErr("location", err)
}

// LocationAreasAt is the area in force at t of each location open then:
// the latest version drawn before t.
func (db *DB) LocationAreasAt(ctx context.Context, t time.Time) ([]LocationArea, error) {
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT ON (a.location_id) a.location_id, a.version, a.res, a.cells, a.valid_from
		FROM location_areas a JOIN locations l ON l.id = a.location_id
		WHERE a.valid_from < $1 AND (l.closed_at IS NULL OR l.closed_at >= $1) ORDER BY a.location_id, a.version DESC`, t)
	if err != nil {
		return nil, mapErr("location areas", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LocationArea, error) {
		var a LocationArea
		err := r.Scan(&a.LocationID, &a.Version, &a.Res, &a.Cells, &a.ValidFrom)
		return a, err
	})
	return out, mapErr("location areas", err)
}

// ReleaseLocation is a location's figures in a release.
type ReleaseLocation struct {
	Cutoff     time.Time
	LocationID uuid.UUID
	Version    int
	Body       []byte
}

// ReleaseLocationBody is the body of a location's figures in the latest
// release whose cut-off is at or before atMost, and that cut-off.
func (db *DB) ReleaseLocationBody(ctx context.Context, id uuid.UUID, atMost time.Time) (ReleaseLocation, error) {
	r, err := one(ctx, db.pool, `SELECT cutoff, location_id, version, body FROM release_locations WHERE location_id = $1 AND cutoff <= $2
		ORDER BY cutoff DESC LIMIT 1`, pgx.RowToStructByPos[ReleaseLocation], id, atMost)
	return r, mapErr("release location", err)
}

const actionSQL = `SELECT a.id, a.location_id, l.name, a.tactic, a.owner_agency_id, ag.name, a.start_date, a.due_date, a.status, a.note,
		a.done_at, a.created_by, a.created_at, a.updated_at
	FROM location_actions a JOIN locations l ON l.id = a.location_id JOIN agencies ag ON ag.id = a.owner_agency_id`

// ActionFilter narrows a list of actions: zero fields do not.
type ActionFilter struct {
	LocationID uuid.UUID
	// Agency, when not zero, lists only the actions it owns.
	Agency uuid.UUID
	// Overdue lists only those due before today and neither done nor cancelled.
	Overdue bool
}

// Actions lists actions, those due first.
func (db *DB) Actions(ctx context.Context, f ActionFilter) ([]Action, error) {
	rows, err := db.pool.Query(ctx, actionSQL+` WHERE ($1::uuid IS NULL OR a.location_id = $1) AND ($2::uuid IS NULL OR a.owner_agency_id = $2)
		AND (NOT $3 OR (a.status IN ('planned', 'in_progress') AND a.due_date < (now() AT TIME ZONE 'Europe/London')::date))
		ORDER BY a.due_date, a.created_at`, nilUUID(f.LocationID), nilUUID(f.Agency), f.Overdue)
	if err != nil {
		return nil, mapErr("actions", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Action])
	return out, mapErr("actions", err)
}

func nilUUID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// Action is one action; with agency not zero, only one that agency owns
// (another's is ErrNotFound, as if it did not exist).
func (db *DB) Action(ctx context.Context, id, agency uuid.UUID) (Action, error) {
	a, err := one(ctx, db.pool, actionSQL+` WHERE a.id = $1 AND ($2::uuid IS NULL OR a.owner_agency_id = $2)`,
		pgx.RowToStructByPos[Action], id, nilUUID(agency))
	return a, mapErr("action", err)
}

// CreateAction stores an action and the audit event of its making.
func (db *DB) CreateAction(ctx context.Context, a Action, ev AuditEvent) (Action, error) {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO location_actions (id, location_id, tactic, owner_agency_id, start_date, due_date, status, note,
			done_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $7 = 'done' THEN now() END, $9)`,
			a.ID, a.LocationID, a.Tactic, a.OwnerAgencyID, a.StartDate, a.DueDate, a.Status, a.Note, a.CreatedBy); err != nil {
			return err
		}
		ev.ObjectType, ev.ObjectID = "location_action", a.ID.String()
		// The note is not in the audit detail: the action holds it, and
		// the detail is read by those who may not read others' notes.
		ev.Detail = map[string]any{"location_id": a.LocationID, "tactic": a.Tactic, "owner_agency_id": a.OwnerAgencyID,
			"start_date": a.StartDate.Format(time.DateOnly), "due_date": a.DueDate.Format(time.DateOnly), "status": a.Status, "note": a.Note != ""}
		return writeAudit(ctx, tx, ev)
	})
	if err != nil {
		return Action{}, mapErr("create action", err)
	}
	return db.Action(ctx, a.ID, uuid.Nil)
}

// UpdateAction changes an action, and records the change; with agency
// not zero, only an action that agency owns (another's is ErrNotFound).
func (db *DB) UpdateAction(ctx context.Context, id, agency uuid.UUID, ch ActionChange, ev AuditEvent) (Action, error) {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE location_actions SET tactic = coalesce($3, tactic), status = coalesce($4, status), note = coalesce($5, note),
			owner_agency_id = coalesce($6, owner_agency_id), start_date = coalesce($7, start_date), due_date = coalesce($8, due_date),
			done_at = CASE WHEN coalesce($4, status) = 'done' THEN coalesce(done_at, now()) END, updated_at = now()
			WHERE id = $1 AND ($2::uuid IS NULL OR owner_agency_id = $2)`,
			id, nilUUID(agency), ch.Tactic, ch.Status, ch.Note, ch.OwnerAgencyID, ch.StartDate, ch.DueDate)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		detail := changeDetail(map[string]any{"tactic": ch.Tactic, "status": ch.Status, "owner_agency_id": ch.OwnerAgencyID,
			"start_date": ch.StartDate, "due_date": ch.DueDate})
		if ch.Note != nil {
			detail["note"] = "changed"
		}
		ev.ObjectType, ev.ObjectID, ev.Detail = "location_action", id.String(), detail
		return writeAudit(ctx, tx, ev)
	})
	if err != nil {
		return Action{}, mapErr("update action", err)
	}
	return db.Action(ctx, id, uuid.Nil)
}

// ReleaseSalt is the secret of the releases' location figures.
func (db *DB) ReleaseSalt(ctx context.Context) (uint64, error) {
	salt, err := one(ctx, db.pool, `SELECT salt FROM release_salt`, pgx.RowTo[int64])
	return uint64(salt), mapErr("release salt", err)
}
