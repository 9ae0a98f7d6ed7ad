package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Snapshot is a frozen set of hotspots; Content is its canonical JSON.
type Snapshot struct {
	ID             uuid.UUID `json:"id"`
	Title          string    `json:"title"`
	MeetingDate    time.Time `json:"-"`
	Res            int       `json:"res"`
	Classification string    `json:"classification"`
	// DataVersion is the data version of exact snapshots; published ones
	// name their release instead (a data version counts every write).
	DataVersion int64 `json:"data_version,omitempty"`
	// Release is the cut-off of the release a published snapshot froze.
	Release   *time.Time `json:"-"`
	Cells     int        `json:"cells"`
	CreatedBy string     `json:"created_by"`
	AgencyID  *uuid.UUID `json:"agency_id,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	SHA256    string     `json:"sha256"`
	// Published snapshots are statistical releases, which callers who may
	// not read raw reports may see; the others hold exact figures.
	Published bool   `json:"published"`
	Content   []byte `json:"-"`
	// Parameters are the hotspot parameters it froze (read from Content).
	Parameters json.RawMessage `json:"-"`
}

const snapshotColumns = `id, title, meeting_date, res, classification, data_version, cells, created_by, agency_id, created_at, sha256, published,
	convert_from(content, 'UTF8')::jsonb -> 'parameters', release_cutoff`

func scanSnapshot(r pgx.CollectableRow) (Snapshot, error) {
	var s Snapshot
	err := r.Scan(&s.ID, &s.Title, &s.MeetingDate, &s.Res, &s.Classification, &s.DataVersion, &s.Cells, &s.CreatedBy,
		&s.AgencyID, &s.CreatedAt, &s.SHA256, &s.Published, &s.Parameters, &s.Release)
	return s, err
}

// CreateSnapshot stores a frozen snapshot and the combine audit event of its making.
func (db *DB) CreateSnapshot(ctx context.Context, s Snapshot, ev AuditEvent) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO snapshots (id, title, meeting_date, res, classification, data_version, cells,
			created_by, agency_id, created_at, content, sha256, published, release_cutoff) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			s.ID, s.Title, s.MeetingDate, s.Res, s.Classification, s.DataVersion, s.Cells, s.CreatedBy, s.AgencyID, s.CreatedAt,
			s.Content, s.SHA256, s.Published, s.Release)
		if err != nil {
			return err
		}
		ev.ObjectType, ev.ObjectID = "snapshot", s.ID.String()
		detail := map[string]any{"title": s.Title, "cells": s.Cells, "data_version": s.DataVersion, "sha256": s.SHA256}
		if s.Release != nil {
			detail["release"] = s.Release.UTC().Format(time.RFC3339)
		}
		ev.Detail = detail
		return writeAudit(ctx, tx, ev)
	})
	return mapErr("create snapshot", err)
}

// Snapshot returns one snapshot with its content.
func (db *DB) Snapshot(ctx context.Context, id uuid.UUID) (Snapshot, error) {
	var content []byte
	rows, err := db.pool.Query(ctx, `SELECT `+snapshotColumns+`, content FROM snapshots WHERE id = $1`, id)
	if err != nil {
		return Snapshot{}, mapErr("snapshot", err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (Snapshot, error) {
		var s Snapshot
		err := r.Scan(&s.ID, &s.Title, &s.MeetingDate, &s.Res, &s.Classification, &s.DataVersion, &s.Cells, &s.CreatedBy,
			&s.AgencyID, &s.CreatedAt, &s.SHA256, &s.Published, &s.Parameters, &s.Release, &content)
		return s, err
	})
	s.Content = content
	return s, mapErr("snapshot", err)
}

// Snapshots lists snapshots, newest first, before the cursor (a creation
// time and id); only the published ones when publishedOnly.
func (db *DB) Snapshots(ctx context.Context, before time.Time, beforeID uuid.UUID, limit int, publishedOnly bool) ([]Snapshot, error) {
	if before.IsZero() {
		before = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	rows, err := db.pool.Query(ctx, `SELECT `+snapshotColumns+` FROM snapshots
		WHERE (created_at, id) < ($1, $2) AND (published OR NOT $4) ORDER BY created_at DESC, id DESC LIMIT $3`, before, beforeID, limit, publishedOnly)
	if err != nil {
		return nil, mapErr("snapshots", err)
	}
	ss, err := pgx.CollectRows(rows, scanSnapshot)
	return ss, mapErr("snapshots", err)
}

// PreviousSnapshot is the newest snapshot made before s at the same
// resolution and of the same view: hexagons of other sizes, and exact
// figures with published ones, do not compare.
func (db *DB) PreviousSnapshot(ctx context.Context, s Snapshot) (Snapshot, error) {
	rows, err := db.pool.Query(ctx, `SELECT id FROM snapshots WHERE (created_at, id) < ($1, $2) AND res = $3 AND published = $4
		ORDER BY created_at DESC, id DESC LIMIT 1`, s.CreatedAt, s.ID, s.Res, s.Published)
	if err != nil {
		return Snapshot{}, mapErr("previous snapshot", err)
	}
	id, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return Snapshot{}, mapErr("previous snapshot", err)
	}
	return db.Snapshot(ctx, id)
}

// DeleteSnapshot deletes a snapshot (admin) and records it.
func (db *DB) DeleteSnapshot(ctx context.Context, id uuid.UUID, ev AuditEvent) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM snapshots WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		ev.ObjectType, ev.ObjectID = "snapshot", id.String()
		return writeAudit(ctx, tx, ev)
	})
	return mapErr("delete snapshot", err)
}
