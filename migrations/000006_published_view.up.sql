-- The published view: statistical disclosure control of what callers who
-- may not read raw reports see.

-- Each report's record key for the cell-key method: a random whole number
-- in [0, 2^32), drawn once when the report is stored. The key of a set of
-- reports is the sum of theirs mod 2^32; it picks the perturbation of the
-- set's published count.
ALTER TABLE reports ADD COLUMN record_key bigint NOT NULL
    DEFAULT floor(random() * 4294967296)::bigint CHECK (record_key BETWEEN 0 AND 4294967295);

-- A snapshot is published (the statistical release, which chairs and
-- partners may see) or full (exact figures, for readers of every report).
-- Those frozen before the published view existed are full.
ALTER TABLE snapshots ADD COLUMN published boolean NOT NULL DEFAULT false;

-- The distinct parameter sets each published-view caller (an agency)
-- asked for, per scope (a cell, the map, or snapshots) and day: the query
-- budget.
CREATE TABLE published_queries (
    caller      text NOT NULL,
    day         date NOT NULL,
    scope       text NOT NULL,
    params_hash bytea NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (caller, day, scope, params_hash)
);
CREATE INDEX published_queries_day_idx ON published_queries (day);
