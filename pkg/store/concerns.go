package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hexwatch/hexwatch/pkg/intel"
)

// PublicAgencyID is the built-in agency of concerns from the public
// (migration 000014): it never grades its own, and has no users or keys.
var PublicAgencyID = uuid.MustParse("00000000-0000-7000-8000-00000000c0c0")

// ErrPublicAgency: a user or API key of the public agency, which has none.
var ErrPublicAgency = errors.New("the public agency has no users or API keys")

// KindPublic is the kind of the public agency.
const KindPublic = "public"

// InsertConcern stores a concern from the public (r of PublicAgencyID,
// waiting for evaluation) and, when the person gave any, their contact
// details sealed, in one transaction.
func (db *DB) InsertConcern(ctx context.Context, r intel.Report, sealed []byte, ev AuditEvent) (Outcome, error) {
	out, err := db.insertReportsThen(ctx, []intel.Report{r}, ev, func(tx pgx.Tx, created []uuid.UUID) error {
		if len(created) == 0 || sealed == nil {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO concern_contacts (report_id, sealed) VALUES ($1, $2)`, created[0], sealed)
		return err
	})
	if err != nil {
		return Outcome{}, err
	}
	return out[0], nil
}

// SpendNonce records a proof-of-work nonce (by its hash) as used until it
// expires; false when it was used already. Expired ones are dropped, ten
// minutes late, so that a server clock behind the database's accepts no
// nonce twice.
func (db *DB) SpendNonce(ctx context.Context, hash []byte, expires time.Time) (bool, error) {
	var fresh bool
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM concern_nonces WHERE expires_at < now() - interval '10 minutes'`); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO concern_nonces (nonce_hash, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, hash, expires)
		fresh = tag.RowsAffected() == 1
		return err
	})
	return fresh, mapErr("spend nonce", err)
}

// ConcernContacts are the sealed contact details of those of ids that have any.
func (db *DB) ConcernContacts(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]byte, error) {
	rows, err := db.pool.Query(ctx, `SELECT report_id, sealed FROM concern_contacts WHERE report_id = ANY($1)`, ids)
	if err != nil {
		return nil, mapErr("concern contacts", err)
	}
	out := map[uuid.UUID][]byte{}
	var (
		id     uuid.UUID
		sealed []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &sealed}, func() error {
		out[id] = sealed
		return nil
	})
	return out, mapErr("concern contacts", err)
}
