-- Partnership intelligence reports.

-- seq orders every change of a report, for engines that follow the table.
CREATE SEQUENCE report_seq;

CREATE TABLE reports (
    id             uuid PRIMARY KEY,
    agency_id      uuid NOT NULL REFERENCES agencies (id),
    external_ref   text NOT NULL CHECK (length(external_ref) BETWEEN 1 AND 128),
    category       text NOT NULL,
    indicators     text[] NOT NULL DEFAULT '{}',
    observed_at    timestamptz NOT NULL,
    geom           geometry(Point, 4326) NOT NULL,
    precision_m    double precision NOT NULL CHECK (precision_m > 0),
    source         smallint NOT NULL CHECK (source BETWEEN 1 AND 3),
    assessment     char(1) NOT NULL CHECK (assessment IN ('A', 'B', 'C', 'D', 'E')),
    handling       char(1) NOT NULL CHECK (handling IN ('P', 'C')),
    conditions     text NOT NULL DEFAULT '',
    classification text NOT NULL CHECK (classification IN ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
    narrative      text NOT NULL DEFAULT '',
    status         text NOT NULL DEFAULT 'live' CHECK (status IN ('live', 'withdrawn')),
    review_at      timestamptz NOT NULL,
    -- The H3 cell (resolution 10) of geom, for aggregation.
    cell           bigint NOT NULL,
    -- SHA-256 of the submitted content: a resubmission is a retry or a conflict.
    content_hash   bytea NOT NULL,
    seq            bigint NOT NULL DEFAULT nextval('report_seq'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agency_id, external_ref),
    CHECK ((handling = 'C') = (conditions <> ''))
);
CREATE INDEX reports_geom_idx ON reports USING gist (geom);
CREATE INDEX reports_observed_at_idx ON reports (observed_at);
CREATE UNIQUE INDEX reports_seq_idx ON reports (seq);
CREATE INDEX reports_cell_idx ON reports (cell);

-- Erased reports leave their id and the seq of the erasure, nothing else,
-- so that followers of seq drop them too.
CREATE TABLE report_erasures (
    id        uuid PRIMARY KEY,
    seq       bigint NOT NULL DEFAULT nextval('report_seq'),
    erased_at timestamptz NOT NULL DEFAULT now()
);
