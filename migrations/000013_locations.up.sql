-- Locations of concern agreed at a tasking meeting, the actions each
-- agency owns on them, and their figures in the weekly releases.

CREATE TABLE locations (
    id              uuid PRIMARY KEY,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    meeting_ref     text NOT NULL DEFAULT '' CHECK (length(meeting_ref) <= 120),
    owner_agency_id uuid NOT NULL REFERENCES agencies (id),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_reason   text NOT NULL DEFAULT '' CHECK (length(closed_reason) <= 500),
    -- When it was closed: a release computes no figures of a location
    -- closed before its cut-off.
    closed_at       timestamptz,
    review_date     date,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (status = 'open' OR closed_reason <> '')
);

-- The areas of a location, every version kept: a release evaluates the
-- area in force at its cut-off, so that an area drawn today enters the
-- next release and never the data before it. The outline is the union of
-- the cells; drawn is the polygon as drawn, when it was.
CREATE UNIQUE INDEX locations_name ON locations (lower(name));

CREATE TABLE location_areas (
    location_id uuid NOT NULL REFERENCES locations (id),
    version     integer NOT NULL,
    res         smallint NOT NULL CHECK (res BETWEEN 6 AND 10),
    cells       bigint[] NOT NULL CHECK (cardinality(cells) BETWEEN 1 AND 400),
    outline     geometry(MultiPolygon, 4326) NOT NULL,
    drawn       geometry(Polygon, 4326),
    valid_from  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (location_id, version)
);
CREATE INDEX location_areas_outline ON location_areas USING gist (outline);

CREATE TABLE location_actions (
    id              uuid PRIMARY KEY,
    location_id     uuid NOT NULL REFERENCES locations (id),
    tactic          text NOT NULL,
    owner_agency_id uuid NOT NULL REFERENCES agencies (id),
    start_date      date NOT NULL,
    due_date        date NOT NULL CHECK (due_date >= start_date),
    status          text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done', 'cancelled')),
    note            text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    done_at         timestamptz,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX location_actions_location ON location_actions (location_id);
CREATE INDEX location_actions_owner ON location_actions (owner_agency_id);

-- A location's published figures in a release: perturbed aggregates of
-- the area version in force at the cut-off, as gzipped JSON.
CREATE TABLE release_locations (
    cutoff      timestamptz NOT NULL REFERENCES releases (cutoff),
    location_id uuid NOT NULL REFERENCES locations (id),
    version     integer NOT NULL,
    body        bytea NOT NULL,
    PRIMARY KEY (cutoff, location_id),
    FOREIGN KEY (location_id, version) REFERENCES location_areas (location_id, version)
);

CREATE TRIGGER release_locations_no_change BEFORE UPDATE OR DELETE ON release_locations FOR EACH ROW EXECUTE FUNCTION releases_immutable();
CREATE TRIGGER release_locations_no_truncate BEFORE TRUNCATE ON release_locations EXECUTE FUNCTION releases_immutable();

CREATE FUNCTION location_areas_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a location''s areas are kept as drawn: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER location_areas_no_change BEFORE UPDATE OR DELETE ON location_areas FOR EACH ROW EXECUTE FUNCTION location_areas_append_only();

-- The secret of the releases' location figures: every cell of an area,
-- with reports or none, changes its figures by a draw keyed by its
-- reports and this salt, so that a cell's change is the same in every
-- area it joins and says nothing of whether it holds a report. Drawn once,
-- never shown, never changed.
CREATE TABLE release_salt (salt bigint NOT NULL);
INSERT INTO release_salt SELECT ('x' || substr(md5(gen_random_uuid()::text || clock_timestamp()::text), 1, 16))::bit(64)::bigint;
CREATE TRIGGER release_salt_no_change BEFORE UPDATE OR DELETE ON release_salt FOR EACH ROW EXECUTE FUNCTION releases_immutable();
CREATE TRIGGER release_salt_no_truncate BEFORE TRUNCATE ON release_salt EXECUTE FUNCTION releases_immutable();
