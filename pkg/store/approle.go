package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// AppRole is the database role the server connects as: it owns nothing,
// may read and write the tables, and may only add to and read the audit
// log, so that not even the service can rewrite it.
const AppRole = "hexwatch_app"

// grantSQL creates AppRole when missing and grants it what it needs, no
// more. It runs as the owner of the schema, after every migration.
var grantSQL = []string{
	`DO $$ BEGIN
		CREATE ROLE hexwatch_app LOGIN;
	EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
	END $$`,
	`ALTER ROLE hexwatch_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`,
	`DO $$ BEGIN
		EXECUTE format('GRANT CONNECT ON DATABASE %I TO hexwatch_app', current_database());
	END $$`,
	`GRANT USAGE ON SCHEMA public TO hexwatch_app`,
	`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO hexwatch_app`,
	`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM hexwatch_app`,
	`REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM hexwatch_app`,
	`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO hexwatch_app`,
}

// grantAppRole runs grantSQL on the database at ownerURL and, when appURL
// names AppRole with a password, gives the role that password.
func grantAppRole(ctx context.Context, ownerURL, appURL string) error {
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return fmt.Errorf("store: app role: %w", err)
	}
	defer conn.Close(context.Background())
	for _, q := range grantSQL {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("store: app role: %w", err)
		}
	}
	if u, err := url.Parse(appURL); err == nil && u.User != nil && u.User.Username() == AppRole {
		if pw, ok := u.User.Password(); ok {
			// ALTER ROLE takes no parameters: quote the literal.
			lit := conn.PgConn().EscapeString
			q, err := lit(pw)
			if err != nil {
				return fmt.Errorf("store: app role password: %w", err)
			}
			if _, err := conn.Exec(ctx, "ALTER ROLE hexwatch_app PASSWORD '"+q+"'"); err != nil {
				return fmt.Errorf("store: app role password: %w", err)
			}
		}
	}
	return nil
}

// ErrPrivileged means the server was asked to run as a role that could
// rewrite the audit log.
var ErrPrivileged = errors.New("the database role may rewrite the audit log")

// CheckUnprivileged refuses a connection as a superuser or as the owner
// of any table: such a role can disable the audit log's triggers, or
// rewrite it, and the server must not hold that power.
func (db *DB) CheckUnprivileged(ctx context.Context) error {
	var (
		user  string
		super bool
		owns  int
	)
	err := db.Pool.QueryRow(ctx, `SELECT current_user, r.rolsuper,
		(SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid AND c.relnamespace = 'public'::regnamespace)
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&user, &super, &owns)
	if err != nil {
		return mapErr("check role", err)
	}
	switch {
	case super:
		return fmt.Errorf("%w: %s is a superuser", ErrPrivileged, user)
	case owns > 0:
		return fmt.Errorf("%w: %s owns %d tables", ErrPrivileged, user, owns)
	}
	return nil
}
