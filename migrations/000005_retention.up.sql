-- Decisions to retain a report past its review date (Management of Police Information).
CREATE TABLE retention_decisions (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id          uuid NOT NULL,
    decided_by         text NOT NULL,
    reason             text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    previous_review_at timestamptz NOT NULL,
    review_at          timestamptz NOT NULL,
    decided_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX retention_decisions_report_idx ON retention_decisions (report_id);
CREATE INDEX reports_review_at_idx ON reports (review_at);
