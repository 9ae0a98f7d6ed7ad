package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The audit actions of DPA 2018 s.62 and of access control.
const (
	ActionCollect      = "collect"
	ActionAlter        = "alter"
	ActionConsult      = "consult"
	ActionDisclose     = "disclose"
	ActionCombine      = "combine"
	ActionErase        = "erase"
	ActionLogin        = "login"
	ActionLoginFailed  = "login_failed"
	ActionLogout       = "logout"
	ActionKeyCreated   = "key_created"
	ActionKeyRevoked   = "key_revoked"
	ActionAccessDenied = "access_denied"
	ActionAdmin        = "admin"
)

// AuditEvent is one record of the append-only audit log.
type AuditEvent struct {
	ID            int64      `json:"id"`
	At            time.Time  `json:"at"`
	ActorUserID   *uuid.UUID `json:"actor_user_id,omitempty"`
	ActorKeyID    *uuid.UUID `json:"actor_key_id,omitempty"`
	Actor         string     `json:"actor"`
	AgencyID      *uuid.UUID `json:"agency_id,omitempty"`
	Action        string     `json:"action"`
	ObjectType    string     `json:"object_type,omitempty"`
	ObjectID      string     `json:"object_id,omitempty"`
	Recipient     string     `json:"recipient,omitempty"`
	Justification string     `json:"justification,omitempty"`
	RequestID     string     `json:"request_id,omitempty"`
	RemoteAddr    string     `json:"remote_addr,omitempty"`
	Detail        any        `json:"detail,omitempty"`
}

// querier is what both a pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const insertAuditSQL = `INSERT INTO public.audit_events
	(actor_user_id, actor_key_id, actor, agency_id, action, object_type, object_id, recipient, justification, request_id, remote_addr, detail)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`

// writeAudit records ev with q, which is the transaction of the change ev
// records: if the record cannot be written, the change is rolled back.
func writeAudit(ctx context.Context, q querier, ev AuditEvent) error {
	args, err := auditArgs(ev)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, insertAuditSQL, args...); err != nil {
		return fmt.Errorf("store: write audit event: %w", err)
	}
	return nil
}

// writeAudits records evs in order with tx, in one round trip.
func writeAudits(ctx context.Context, tx pgx.Tx, evs []AuditEvent) error {
	var b pgx.Batch
	for _, ev := range evs {
		args, err := auditArgs(ev)
		if err != nil {
			return err
		}
		b.Queue(insertAuditSQL, args...)
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("store: write audit events: %w", err)
	}
	return nil
}

// auditArgs are the parameters of insertAuditSQL for ev.
func auditArgs(ev AuditEvent) ([]any, error) {
	var detail []byte
	if ev.Detail != nil {
		var err error
		if detail, err = json.Marshal(ev.Detail); err != nil {
			return nil, fmt.Errorf("store: audit detail: %w", err)
		}
	}
	return []any{ev.ActorUserID, ev.ActorKeyID, ev.Actor, ev.AgencyID, ev.Action,
		ev.ObjectType, ev.ObjectID, ev.Recipient, ev.Justification, ev.RequestID, ev.RemoteAddr, detail}, nil
}

// Audit records an event that accompanies no change of data, such as a
// failed login or a refused request.
func (db *DB) Audit(ctx context.Context, ev AuditEvent) error {
	return writeAudit(ctx, db.bookkeeping(), ev)
}

// AuditMany records events that go with no change (consultations), in
// one transaction.
func (db *DB) AuditMany(ctx context.Context, evs []AuditEvent) error {
	return mapErr("audit", db.booksTx(ctx, func(tx pgx.Tx) error { return writeAudits(ctx, tx, evs) }))
}

// AuditFilter selects audit events; zero fields select everything.
type AuditFilter struct {
	Action     string
	Actor      string
	AgencyID   *uuid.UUID
	ObjectType string
	ObjectID   string
	From, To   time.Time
	// Before pages backwards: events with an id below it.
	Before int64
	Limit  int
}

// AuditEvents returns the newest events matching f, newest first.
func (db *DB) AuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	var w filter
	add := w.add
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.AgencyID != nil {
		add("agency_id = ?", *f.AgencyID)
	}
	if f.ObjectType != "" {
		add("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		add("object_id = ?", f.ObjectID)
	}
	if !f.From.IsZero() {
		add("at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("at < ?", f.To)
	}
	if f.Before > 0 {
		add("id < ?", f.Before)
	}
	sql, args := w.query(`SELECT id, at, actor_user_id, actor_key_id, actor, agency_id, action, object_type, object_id,
		recipient, justification, request_id, remote_addr, detail FROM audit_events`, "id DESC", f.Limit)

	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit events: %w", err)
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEvent, error) {
		var (
			ev     AuditEvent
			detail []byte
		)
		err := r.Scan(&ev.ID, &ev.At, &ev.ActorUserID, &ev.ActorKeyID, &ev.Actor, &ev.AgencyID, &ev.Action,
			&ev.ObjectType, &ev.ObjectID, &ev.Recipient, &ev.Justification, &ev.RequestID, &ev.RemoteAddr, &detail)
		if err == nil && detail != nil {
			ev.Detail = json.RawMessage(detail)
		}
		return ev, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: audit events: %w", err)
	}
	return events, nil
}

// BrokenLink is the first event at which the audit log's hash chain breaks.
type BrokenLink struct {
	ID       int64
	ChainSeq int64
	Reason   string
}

// verifyAuditSQL recomputes every event's hash and checks its link to the
// one before and that no event is missing from the sequence.
const verifyAuditSQL = `SELECT id, chain_seq, hash,
		hash = public.audit_row_hash(prev_hash, e),
		prev_hash = coalesce(lag(hash) OVER w, '\x'::bytea),
		chain_seq = row_number() OVER w
	FROM public.audit_events e WINDOW w AS (ORDER BY chain_seq) ORDER BY chain_seq`

// AuditHead is what VerifyAudit found: the events checked and the hash of
// the newest, which an operator may record elsewhere: events cut from the
// end of the chain show only against such a record.
type AuditHead struct {
	Events int64
	Hash   []byte
}

// VerifyAudit checks the audit log's hash chain. It returns what it
// checked and the first broken link, or nil when the chain holds.
func (db *DB) VerifyAudit(ctx context.Context) (AuditHead, *BrokenLink, error) {
	var head AuditHead
	rows, err := db.pool.Query(ctx, verifyAuditSQL)
	if err != nil {
		return head, nil, mapErr("verify audit", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, seq               int64
			hash                  []byte
			hashOK, linkOK, seqOK bool
		)
		if err := rows.Scan(&id, &seq, &hash, &hashOK, &linkOK, &seqOK); err != nil {
			return head, nil, mapErr("verify audit", err)
		}
		head.Events++
		head.Hash = hash
		switch {
		case !hashOK:
			return head, &BrokenLink{id, seq, "its hash does not match its content: the event was changed"}, nil
		case !linkOK:
			return head, &BrokenLink{id, seq, "it does not chain to the event before it: an event was changed, removed or inserted"}, nil
		case !seqOK:
			return head, &BrokenLink{id, seq, "events before it are missing"}, nil
		}
	}
	return head, nil, mapErr("verify audit", rows.Err())
}
