-- Weekly releases: the published view is computed once a week, at the
-- cut-off (Monday 00:00 Europe/London), from the reports counted before
-- it, and stored; every published answer reads a release.

-- When a report began to count: when it was stored counting, or when an
-- evaluation counted it. A release counts only the reports counted before
-- its cut-off. Reports that count now are taken to have counted since
-- their first evaluation, or else since they were stored.
ALTER TABLE reports ADD COLUMN counted_at timestamptz NOT NULL DEFAULT now();
UPDATE reports r SET counted_at = coalesce((SELECT min(e.created_at) FROM evaluations e WHERE e.report_id = r.id), r.created_at);

-- A release: its cut-off, when it was computed, and whether that was late
-- (the server was not running at the cut-off, so the release counts the
-- reports counted before the cut-off as they stood when it was computed).
CREATE TABLE releases (
    cutoff      timestamptz PRIMARY KEY,
    computed_at timestamptz NOT NULL DEFAULT now(),
    late        boolean NOT NULL,
    -- The menu and the disclosure rule it was computed with.
    menu        jsonb NOT NULL
);

-- One table of a release: the published cells of one resolution, window
-- and category ('' for all), with their figures under each half-life and
-- the splits of their explanations, as gzipped JSON. Perturbed aggregates
-- only: no report, id or exact count is in it.
CREATE TABLE release_tables (
    cutoff      timestamptz NOT NULL REFERENCES releases (cutoff),
    res         smallint NOT NULL,
    window_days smallint NOT NULL,
    category    text NOT NULL,
    cells       integer NOT NULL,
    body        bytea NOT NULL,
    PRIMARY KEY (cutoff, res, window_days, category)
);

CREATE FUNCTION releases_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'releases never change once published: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER releases_no_change BEFORE UPDATE OR DELETE ON releases FOR EACH ROW EXECUTE FUNCTION releases_immutable();
CREATE TRIGGER release_tables_no_change BEFORE UPDATE OR DELETE ON release_tables FOR EACH ROW EXECUTE FUNCTION releases_immutable();
CREATE TRIGGER releases_no_truncate BEFORE TRUNCATE ON releases EXECUTE FUNCTION releases_immutable();
CREATE TRIGGER release_tables_no_truncate BEFORE TRUNCATE ON release_tables EXECUTE FUNCTION releases_immutable();

-- Published snapshots name the release they froze, not a data version.
ALTER TABLE snapshots ADD COLUMN release_cutoff timestamptz REFERENCES releases (cutoff);
