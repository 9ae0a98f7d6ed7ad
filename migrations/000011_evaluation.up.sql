-- Evaluation: partner agencies send what they saw, a police evaluator
-- grades it and decides what happens to it, and tells them.

-- Agencies that grade their own reports (police by default); the others'
-- reports wait for evaluation.
ALTER TABLE agencies ADD COLUMN self_grading boolean NOT NULL DEFAULT false;
UPDATE agencies SET self_grading = (kind = 'police');

ALTER TABLE users DROP CONSTRAINT users_role_check,
    ADD CONSTRAINT users_role_check CHECK (role IN ('partner', 'analyst', 'chair', 'admin', 'evaluator'));
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check,
    ADD CONSTRAINT api_keys_role_check CHECK (role IN ('partner', 'analyst', 'chair', 'admin', 'evaluator'));

-- pending_evaluation: counts nowhere until evaluated; not_counted: an
-- evaluation decided it does not count (no further action, or a duplicate
-- of another report). A report that has never counted keeps a negative
-- seq, so that followers of seq (and the data version) never see it.
ALTER TABLE reports DROP CONSTRAINT reports_status_check,
    ADD CONSTRAINT reports_status_check CHECK (status IN ('live', 'withdrawn', 'pending_evaluation', 'not_counted')),
    -- The grading the submitting agency suggested, when it does not grade its own.
    ADD COLUMN suggested_grading jsonb,
    -- The narrative as submitted, once an evaluator has sanitised it (evaluators only).
    ADD COLUMN original_narrative text,
    ADD COLUMN outcome text CHECK (outcome IN ('intelligence', 'safeguarding_referral', 'crime_report', 'no_further_action', 'duplicate_of')),
    ADD COLUMN outcome_reference text NOT NULL DEFAULT '',
    ADD COLUMN duplicate_of uuid,
    ADD COLUMN evaluated_at timestamptz,
    -- Another agency's counted report lies within the corroboration distance and time.
    ADD COLUMN corroborated boolean NOT NULL DEFAULT false;

CREATE INDEX reports_pending_idx ON reports (created_at, id) WHERE status = 'pending_evaluation';

-- Corroboration looks for other agencies' counted reports near a new one:
-- an index by agency and place makes that a probe per other agency, never
-- a scan of the new report's own agency's neighbours.
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE INDEX reports_agency_geom_idx ON reports USING gist (agency_id, geom) WHERE status = 'live';
CREATE INDEX reports_duplicate_of_idx ON reports (duplicate_of) WHERE duplicate_of IS NOT NULL;

-- Every evaluation of a report, versioned: a re-evaluation adds one.
CREATE TABLE evaluations (
    report_id    uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    version      integer NOT NULL CHECK (version > 0),
    actor        text NOT NULL,
    source       smallint NOT NULL CHECK (source BETWEEN 1 AND 3),
    assessment   char(1) NOT NULL CHECK (assessment IN ('A', 'B', 'C', 'D', 'E')),
    handling     char(1) NOT NULL CHECK (handling IN ('P', 'C')),
    conditions   text NOT NULL DEFAULT '',
    outcome      text NOT NULL,
    reference    text NOT NULL DEFAULT '',
    duplicate_of uuid,
    sanitised    boolean NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (report_id, version)
);
