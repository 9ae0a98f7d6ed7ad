package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// AppRole is the database role the server connects as: it owns nothing,
// may read and write the tables, and may only add to and read the audit
// log, so that not even the service can rewrite it.
const AppRole = "hexwatch_app"

// createRoleSQL creates AppRole when missing (roles are the server's, not
// one database's: several databases may race to create it).
const createRoleSQL = `DO $$ BEGIN
		CREATE ROLE hexwatch_app LOGIN;
	EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
	END $$`

// roleExcessSQL says whether AppRole holds more than it should.
const roleExcessSQL = `SELECT rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls OR NOT rolcanlogin
	FROM pg_roles WHERE rolname = 'hexwatch_app'`

// grantSQL grants AppRole what it needs in this database, no more. It
// runs as the owner of the schema, after every migration.
var grantSQL = []string{
	`DO $$ BEGIN
		EXECUTE format('GRANT CONNECT ON DATABASE %I TO hexwatch_app', current_database());
	END $$`,
	`GRANT USAGE ON SCHEMA public TO hexwatch_app`,
	`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO hexwatch_app`,
	`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM hexwatch_app`,
	`REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM hexwatch_app`,
	`REVOKE UPDATE, DELETE, TRUNCATE ON releases, release_tables, release_locations, location_areas, release_salt FROM hexwatch_app`,
	`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON spatial_ref_sys FROM hexwatch_app`,
	`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO hexwatch_app`,
	`DO $$ BEGIN
		IF to_regprocedure('analyze_reports()') IS NOT NULL THEN
			GRANT EXECUTE ON FUNCTION analyze_reports() TO hexwatch_app;
		END IF;
	END $$`,
}

// grantAppRole runs grantSQL on the database at ownerURL and, when appURL
// names AppRole with a password, gives the role that password.
func grantAppRole(ctx context.Context, ownerURL, appURL string) error {
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return fmt.Errorf("store: app role: %w", err)
	}
	defer conn.Close(context.Background())
	var (
		user              string
		mayCreate, exists bool
	)
	if err := conn.QueryRow(ctx, `SELECT current_user, r.rolsuper OR r.rolcreaterole,
		EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hexwatch_app') FROM pg_roles r WHERE r.rolname = current_user`).Scan(&user, &mayCreate, &exists); err != nil {
		return fmt.Errorf("store: app role: %w", err)
	}
	switch {
	case user == AppRole:
		// Migrating as the app role itself: it can grant nothing, and
		// needs nothing granted that the owner has not granted.
		return nil
	case !exists && !mayCreate:
		return fmt.Errorf("store: app role: %s may not create the role %s: give it CREATEROLE, or create the role once as a superuser", user, AppRole)
	case !exists:
		if _, err := conn.Exec(ctx, createRoleSQL); err != nil {
			return fmt.Errorf("store: app role: %w", err)
		}
	}
	var excess bool
	if err := conn.QueryRow(ctx, roleExcessSQL).Scan(&excess); err != nil {
		return fmt.Errorf("store: app role: %w", err)
	}
	if excess {
		if !mayCreate {
			return fmt.Errorf("store: app role: %s holds more than it should and %s may not change it", AppRole, user)
		}
		if _, err := conn.Exec(ctx, `ALTER ROLE hexwatch_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`); err != nil {
			return fmt.Errorf("store: app role: %w", err)
		}
	}
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

// CheckUnprivileged refuses a connection as a role that could rewrite the
// audit log: a superuser, the owner of any table (or a member of the log's
// owner's role), or one allowed to UPDATE, DELETE or TRUNCATE the log.
// A reader of a standby checks the role it records with on the primary
// too.
func (db *DB) CheckUnprivileged(ctx context.Context) error {
	if err := checkUnprivileged(ctx, db.pool); err != nil || db.books == nil {
		return err
	}
	return checkUnprivileged(ctx, db.books)
}

func checkUnprivileged(ctx context.Context, pool *pgxpool.Pool) error {
	var (
		user                string
		super, owner, write bool
		owns                int
	)
	err := pool.QueryRow(ctx, `SELECT current_user, r.rolsuper,
		(SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid AND c.relnamespace = 'public'::regnamespace),
		pg_has_role((SELECT relowner FROM pg_class WHERE oid = 'public.audit_events'::regclass), 'MEMBER'),
		has_table_privilege('public.audit_events', 'UPDATE') OR has_table_privilege('public.audit_events', 'DELETE')
			OR has_table_privilege('public.audit_events', 'TRUNCATE')
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&user, &super, &owns, &owner, &write)
	if err != nil {
		return mapErr("check role", err)
	}
	switch {
	case super:
		return fmt.Errorf("%w: %s is a superuser", ErrPrivileged, user)
	case owns > 0:
		return fmt.Errorf("%w: %s owns %d tables", ErrPrivileged, user, owns)
	case owner:
		return fmt.Errorf("%w: %s is a member of the audit log's owner's role", ErrPrivileged, user)
	case write:
		return fmt.Errorf("%w: %s may UPDATE, DELETE or TRUNCATE the audit log", ErrPrivileged, user)
	}
	return nil
}
