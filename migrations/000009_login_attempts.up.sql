-- Login attempts, reserved before a password is checked: one per check,
-- taken in turn per username, so that concurrent guesses cannot all be
-- checked. An attempt is pending until its check ends, then failed or ok;
-- pending and failed ones count against the username and the address.
CREATE TABLE login_attempts (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text NOT NULL,
    addr     text NOT NULL,
    at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    outcome  text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'failed', 'ok'))
);
CREATE INDEX login_attempts_username_idx ON login_attempts (username, at);
CREATE INDEX login_attempts_addr_idx ON login_attempts (addr, at);
CREATE INDEX login_attempts_at_idx ON login_attempts (at);
