-- Tasking-meeting snapshots: hotspots frozen as canonical JSON, never changed.
CREATE TABLE snapshots (
    id             uuid PRIMARY KEY,
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    meeting_date   date NOT NULL,
    res            smallint NOT NULL,
    classification text NOT NULL CHECK (classification IN ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
    data_version   bigint NOT NULL,
    cells          integer NOT NULL,
    created_by     text NOT NULL,
    agency_id      uuid REFERENCES agencies (id),
    created_at     timestamptz NOT NULL,
    -- The frozen content, byte for byte, and its SHA-256 in hex.
    content        bytea NOT NULL,
    sha256         text NOT NULL
);
CREATE INDEX snapshots_created_at_idx ON snapshots (created_at, id);

CREATE FUNCTION snapshots_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'snapshots never change once frozen' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER snapshots_no_update BEFORE UPDATE ON snapshots FOR EACH ROW EXECUTE FUNCTION snapshots_frozen();
