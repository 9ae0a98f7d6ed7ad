-- Previous versions of amended reports live beside the report, not in the
-- audit log: erasing a report (DELETE) takes its versions with it, and the
-- audit log records who changed which fields, never their values.
CREATE TABLE report_versions (
    report_id  uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    content    jsonb NOT NULL,
    status     text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by text NOT NULL,
    PRIMARY KEY (report_id, seq)
);

-- Earlier alter events kept the previous content in the audit log: move it
-- to the versions of reports that still exist, and take it out of the log
-- (erasure must erase). This is the one rewrite of the log, made by its
-- owner before the log is hash-chained.
INSERT INTO report_versions (report_id, seq, content, status, changed_at, changed_by)
SELECT r.id, (e.detail -> 'previous' ->> 'seq')::bigint, e.detail -> 'previous' -> 'report',
       coalesce(e.detail -> 'previous' ->> 'status', 'live'), e.at, e.actor
FROM audit_events e JOIN reports r ON e.object_type = 'report' AND r.id::text = e.object_id
WHERE e.action = 'alter' AND e.detail ? 'previous' AND e.detail -> 'previous' ? 'seq'
ON CONFLICT DO NOTHING;

ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete;
UPDATE audit_events SET detail = (detail - 'previous') || '{"previous": "moved to report_versions"}'::jsonb
WHERE action = 'alter' AND detail ? 'previous';
ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete;
