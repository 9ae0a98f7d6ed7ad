-- Agencies, users, sessions, API keys and the append-only audit log.

CREATE TABLE agencies (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind       text NOT NULL CHECK (kind IN ('police', 'local_authority', 'education', 'health', 'social_care',
                                             'youth_justice', 'housing', 'voluntary', 'community')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX agencies_name_key ON agencies (lower(name));

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    username      text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('partner', 'analyst', 'chair', 'admin')),
    agency_id     uuid NOT NULL REFERENCES agencies (id),
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (username);

-- Only hashes of session tokens and API keys are stored.
CREATE TABLE sessions (
    token_hash   bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    key_hash     bytea NOT NULL UNIQUE,
    prefix       text NOT NULL,
    label        text NOT NULL DEFAULT '',
    agency_id    uuid NOT NULL REFERENCES agencies (id),
    role         text NOT NULL CHECK (role IN ('partner', 'analyst', 'chair', 'admin')),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_used_at timestamptz
);

-- The audit log of DPA 2018 s.62: who did what to which object, when, and
-- for whom. Written in the transaction of the change it records.
CREATE TABLE audit_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_user_id uuid,
    actor_key_id  uuid,
    actor         text NOT NULL,
    agency_id     uuid,
    action        text NOT NULL CHECK (action IN ('collect', 'alter', 'consult', 'disclose', 'combine', 'erase',
                                                  'login', 'login_failed', 'logout', 'key_created', 'key_revoked',
                                                  'access_denied', 'admin')),
    object_type   text NOT NULL DEFAULT '',
    object_id     text NOT NULL DEFAULT '',
    recipient     text NOT NULL DEFAULT '',
    justification text NOT NULL DEFAULT '',
    request_id    text NOT NULL DEFAULT '',
    remote_addr   text NOT NULL DEFAULT '',
    detail        jsonb
);
CREATE INDEX audit_events_at_idx ON audit_events (at);
CREATE INDEX audit_events_object_idx ON audit_events (object_type, object_id);
CREATE INDEX audit_events_login_failed_idx ON audit_events (object_id, at) WHERE action = 'login_failed';
CREATE INDEX audit_events_login_failed_addr_idx ON audit_events (remote_addr, at) WHERE action = 'login_failed';

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC;
