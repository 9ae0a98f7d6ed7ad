package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hexwatch/hexwatch/pkg/auth"
)

// ErrNotFound means the object asked for does not exist (or is not the
// caller's to see).
var ErrNotFound = errors.New("not found")

// ErrConflict means the object clashes with one already stored.
var ErrConflict = errors.New("conflict")

// Agency is a partner organisation.
type Agency struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
	// SelfGrading agencies grade their own reports, which count at once;
	// the others' wait for a police evaluator.
	SelfGrading bool `json:"self_grading"`
}

const agencyColumns = `id, name, kind, created_at, self_grading`

// User is a person who logs in to the web front end.
type User struct {
	ID         uuid.UUID `json:"id"`
	Username   string    `json:"username"`
	Role       auth.Role `json:"role"`
	AgencyID   uuid.UUID `json:"agency_id"`
	AgencyName string    `json:"agency"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"created_at"`
}

// APIKey describes a partner system's key; the key itself is never stored.
type APIKey struct {
	ID         uuid.UUID  `json:"id"`
	Prefix     string     `json:"prefix"`
	Label      string     `json:"label"`
	AgencyID   uuid.UUID  `json:"agency_id"`
	AgencyName string     `json:"agency"`
	Role       auth.Role  `json:"role"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// one runs a query that must give exactly one row, scanned by scan.
func one[T any](ctx context.Context, q querier, sql string, scan pgx.RowToFunc[T], args ...any) (T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		var zero T
		return zero, err
	}
	return pgx.CollectExactlyOneRow(rows, scan)
}

// inTx runs f in a transaction, committed when f returns nil.
func (db *DB) inTx(ctx context.Context, f func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, f)
}

// mapErr turns pgx's errors into the store's sentinels.
func mapErr(what string, err error) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("store: %s: %w", what, ErrNotFound)
	case errors.As(err, &pgErr) && pgErr.ConstraintName == "no_public_members":
		return fmt.Errorf("store: %s: %w", what, ErrPublicAgency)
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		return fmt.Errorf("store: %s: %w", what, ErrConflict)
	case errors.As(err, &pgErr) && pgErr.Code == "25006": // read_only_sql_transaction
		return fmt.Errorf("store: %s: %w", what, ErrReadOnly)
	case errors.As(err, new(*pgconn.ConnectError)):
		return fmt.Errorf("store: %s: %w: %w", what, ErrUnreachable, err)
	default:
		return fmt.Errorf("store: %s: %w", what, err)
	}
}

// CreateAgency stores a new agency and its audit event; it grades its own
// reports when it is police, until SetSelfGrading says otherwise.
func (db *DB) CreateAgency(ctx context.Context, name, kind string, ev AuditEvent) (Agency, error) {
	a := Agency{ID: uuid.Must(uuid.NewV7()), Name: name, Kind: kind}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO agencies (id, name, kind, self_grading) VALUES ($1, $2, $3, $3 = 'police')
			RETURNING created_at, self_grading`, a.ID, name, kind).Scan(&a.CreatedAt, &a.SelfGrading)
		if err != nil {
			return err
		}
		ev.ObjectType, ev.ObjectID = "agency", a.ID.String()
		return writeAudit(ctx, tx, ev)
	})
	return a, mapErr("create agency", err)
}

// Agencies lists every agency by name.
func (db *DB) Agencies(ctx context.Context) ([]Agency, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+agencyColumns+` FROM agencies ORDER BY lower(name)`)
	if err != nil {
		return nil, mapErr("agencies", err)
	}
	as, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Agency])
	return as, mapErr("agencies", err)
}

// AgencyByName finds an agency by its name, ignoring case.
func (db *DB) AgencyByName(ctx context.Context, name string) (Agency, error) {
	a, err := one(ctx, db.pool, `SELECT `+agencyColumns+` FROM agencies WHERE lower(name) = lower($1)`, pgx.RowToStructByPos[Agency], name)
	return a, mapErr("agency "+name, err)
}

// AgencyByID finds an agency by its id.
func (db *DB) AgencyByID(ctx context.Context, id uuid.UUID) (Agency, error) {
	a, err := one(ctx, db.pool, `SELECT `+agencyColumns+` FROM agencies WHERE id = $1`, pgx.RowToStructByPos[Agency], id)
	return a, mapErr("agency", err)
}

// SetSelfGrading says whether an agency grades its own reports; reports
// already stored keep their status.
func (db *DB) SetSelfGrading(ctx context.Context, id uuid.UUID, on bool, ev AuditEvent) error {
	return mapErr("set self-grading", db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE agencies SET self_grading = $2 WHERE id = $1`, id, on)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		ev.ObjectType, ev.ObjectID = "agency", id.String()
		ev.Detail = map[string]any{"self_grading": on}
		return writeAudit(ctx, tx, ev)
	}))
}

// NewUser is what creating a user needs.
type NewUser struct {
	Username     string
	PasswordHash string
	Role         auth.Role
	AgencyID     uuid.UUID
}

const selectUserSQL = `SELECT u.id, u.username, u.role, u.agency_id, a.name, u.disabled, u.created_at
	FROM users u JOIN agencies a ON a.id = u.agency_id`

func scanUser(r pgx.CollectableRow) (User, error) {
	var u User
	err := r.Scan(&u.ID, &u.Username, &u.Role, &u.AgencyID, &u.AgencyName, &u.Disabled, &u.CreatedAt)
	return u, err
}

// CreateUser stores a new user and its audit event.
func (db *DB) CreateUser(ctx context.Context, nu NewUser, ev AuditEvent) (User, error) {
	id := uuid.Must(uuid.NewV7())
	var u User
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, username, password_hash, role, agency_id) VALUES ($1, $2, $3, $4, $5)`,
			id, nu.Username, nu.PasswordHash, nu.Role, nu.AgencyID)
		if err != nil {
			return err
		}
		if u, err = one(ctx, tx, selectUserSQL+` WHERE u.id = $1`, scanUser, id); err != nil {
			return err
		}
		ev.ObjectType, ev.ObjectID = "user", id.String()
		ev.Detail = map[string]any{"username": u.Username, "role": u.Role, "agency": u.AgencyName}
		return writeAudit(ctx, tx, ev)
	})
	return u, mapErr("create user", err)
}

// Users lists every user by username.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := db.pool.Query(ctx, selectUserSQL+` ORDER BY u.username`)
	if err != nil {
		return nil, mapErr("users", err)
	}
	us, err := pgx.CollectRows(rows, scanUser)
	return us, mapErr("users", err)
}

// UserChange is a change to a user; nil fields stay as they are.
type UserChange struct {
	Role         *auth.Role `json:"role,omitempty"`
	Disabled     *bool      `json:"disabled,omitempty"`
	PasswordHash *string    `json:"-"`
}

// UpdateUser changes a user. Disabling a user or changing their password
// ends their sessions.
func (db *DB) UpdateUser(ctx context.Context, id uuid.UUID, ch UserChange, ev AuditEvent) (User, error) {
	var u User
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET role = coalesce($2, role), disabled = coalesce($3, disabled),
			password_hash = coalesce($4, password_hash), updated_at = now() WHERE id = $1`,
			id, ch.Role, ch.Disabled, ch.PasswordHash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		if (ch.Disabled != nil && *ch.Disabled) || ch.PasswordHash != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
				return err
			}
		}
		if u, err = one(ctx, tx, selectUserSQL+` WHERE u.id = $1`, scanUser, id); err != nil {
			return err
		}
		ev.ObjectType, ev.ObjectID = "user", id.String()
		ev.Detail = map[string]any{"role": ch.Role, "disabled": ch.Disabled, "password_changed": ch.PasswordHash != nil}
		return writeAudit(ctx, tx, ev)
	})
	return u, mapErr("update user", err)
}

// UserByName finds a user by username.
func (db *DB) UserByName(ctx context.Context, username string) (User, error) {
	u, err := one(ctx, db.pool, selectUserSQL+` WHERE u.username = $1`, scanUser, username)
	return u, mapErr("user "+username, err)
}

// PasswordHash returns the stored password hash of a user.
func (db *DB) PasswordHash(ctx context.Context, userID uuid.UUID) (string, error) {
	var h string
	err := db.pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, userID).Scan(&h)
	return h, mapErr("password hash", err)
}

// CreateSession stores a new session for a user, ends the session the
// login replaced (if any) and records the login.
func (db *DB) CreateSession(ctx context.Context, userID uuid.UUID, tokenHash, replaced []byte, csrf string, expires time.Time, ev AuditEvent) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if replaced != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, replaced); err != nil {
				return err
			}
		}
		// Sessions that expired are of no further use to anyone.
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND expires_at < now()`, userID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)`,
			tokenHash, userID, csrf, expires)
		if err != nil {
			return err
		}
		ev.ObjectType, ev.ObjectID = "user", userID.String()
		return writeAudit(ctx, tx, ev)
	})
	return mapErr("create session", err)
}

// DeleteSession ends a session and records the logout.
func (db *DB) DeleteSession(ctx context.Context, tokenHash []byte, ev AuditEvent) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash); err != nil {
			return err
		}
		return writeAudit(ctx, tx, ev)
	})
	return mapErr("delete session", err)
}

// touchEvery bounds how often last-seen times are written: not on every request.
const touchEvery = time.Minute

// SessionPrincipal returns the caller a session token belongs to, if the
// session has been used within idle, has not passed its absolute expiry,
// and its user is not disabled.
func (db *DB) SessionPrincipal(ctx context.Context, tokenHash []byte, idle time.Duration) (auth.Principal, error) {
	var (
		p        auth.Principal
		lastSeen time.Time
	)
	err := db.pool.QueryRow(ctx, `SELECT u.id, u.username, u.role, a.id, a.name, s.csrf_token, s.last_seen_at
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN agencies a ON a.id = u.agency_id
		WHERE s.token_hash = $1 AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => $2)
		  AND NOT u.disabled`, tokenHash, idle.Seconds()).
		Scan(&p.UserID, &p.Name, &p.Role, &p.AgencyID, &p.AgencyName, &p.CSRFToken, &lastSeen)
	if err != nil {
		return p, mapErr("session", err)
	}
	if time.Since(lastSeen) > touchEvery {
		if err := db.touch(ctx, `UPDATE sessions SET last_seen_at = now() WHERE token_hash = $1`, tokenHash); err != nil {
			return p, mapErr("touch session", err)
		}
	}
	return p, nil
}

// NewAPIKey is what creating an API key needs.
type NewAPIKey struct {
	Hash      []byte
	Prefix    string
	Label     string
	AgencyID  uuid.UUID
	Role      auth.Role
	CreatedBy string
}

const selectKeySQL = `SELECT k.id, k.prefix, k.label, k.agency_id, a.name, k.role, k.created_by, k.created_at,
	k.revoked_at, k.last_used_at FROM api_keys k JOIN agencies a ON a.id = k.agency_id`

func scanKey(r pgx.CollectableRow) (APIKey, error) {
	var k APIKey
	err := r.Scan(&k.ID, &k.Prefix, &k.Label, &k.AgencyID, &k.AgencyName, &k.Role, &k.CreatedBy, &k.CreatedAt,
		&k.RevokedAt, &k.LastUsedAt)
	return k, err
}

// CreateAPIKey stores the hash of a new key and records its creation.
func (db *DB) CreateAPIKey(ctx context.Context, nk NewAPIKey, ev AuditEvent) (APIKey, error) {
	id := uuid.Must(uuid.NewV7())
	var k APIKey
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (id, key_hash, prefix, label, agency_id, role, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, nk.Hash, nk.Prefix, nk.Label, nk.AgencyID, nk.Role, nk.CreatedBy)
		if err != nil {
			return err
		}
		if k, err = one(ctx, tx, selectKeySQL+` WHERE k.id = $1`, scanKey, id); err != nil {
			return err
		}
		ev.ObjectType, ev.ObjectID = "api_key", id.String()
		ev.Detail = map[string]any{"prefix": k.Prefix, "role": k.Role, "agency": k.AgencyName, "label": k.Label}
		return writeAudit(ctx, tx, ev)
	})
	return k, mapErr("create API key", err)
}

// APIKeys lists every key, newest first.
func (db *DB) APIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := db.pool.Query(ctx, selectKeySQL+` ORDER BY k.created_at DESC`)
	if err != nil {
		return nil, mapErr("API keys", err)
	}
	ks, err := pgx.CollectRows(rows, scanKey)
	return ks, mapErr("API keys", err)
}

// RevokeAPIKey stops a key from working, for good, and records it.
func (db *DB) RevokeAPIKey(ctx context.Context, id uuid.UUID, ev AuditEvent) (APIKey, error) {
	var k APIKey
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1`, id); err != nil {
			return err
		}
		var err error
		if k, err = one(ctx, tx, selectKeySQL+` WHERE k.id = $1`, scanKey, id); err != nil {
			return err
		}
		ev.ObjectType, ev.ObjectID = "api_key", id.String()
		return writeAudit(ctx, tx, ev)
	})
	return k, mapErr("revoke API key", err)
}

// KeyPrincipal returns the caller an unrevoked API key belongs to, and
// records its use.
func (db *DB) KeyPrincipal(ctx context.Context, keyHash []byte) (auth.Principal, error) {
	var (
		p        auth.Principal
		prefix   string
		lastUsed *time.Time
	)
	err := db.pool.QueryRow(ctx, `SELECT k.id, k.prefix, k.role, a.id, a.name, k.last_used_at
		FROM api_keys k JOIN agencies a ON a.id = k.agency_id
		WHERE k.key_hash = $1 AND k.revoked_at IS NULL`, keyHash).
		Scan(&p.KeyID, &prefix, &p.Role, &p.AgencyID, &p.AgencyName, &lastUsed)
	if err != nil {
		return p, mapErr("API key", err)
	}
	p.Name = "key:" + prefix
	if lastUsed == nil || time.Since(*lastUsed) > touchEvery {
		if err := db.touch(ctx, `UPDATE api_keys SET last_used_at = now() WHERE id = $1`, p.KeyID); err != nil {
			return p, mapErr("touch API key", err)
		}
	}
	return p, nil
}
