DROP TABLE evaluations;
DROP INDEX reports_pending_idx;
DROP INDEX reports_agency_geom_idx;
DROP INDEX reports_duplicate_of_idx;
DELETE FROM reports WHERE status IN ('pending_evaluation', 'not_counted');
ALTER TABLE reports DROP COLUMN suggested_grading, DROP COLUMN original_narrative, DROP COLUMN outcome,
    DROP COLUMN outcome_reference, DROP COLUMN duplicate_of, DROP COLUMN evaluated_at, DROP COLUMN corroborated,
    DROP CONSTRAINT reports_status_check, ADD CONSTRAINT reports_status_check CHECK (status IN ('live', 'withdrawn'));
DELETE FROM users WHERE role = 'evaluator';
DELETE FROM api_keys WHERE role = 'evaluator';
ALTER TABLE users DROP CONSTRAINT users_role_check,
    ADD CONSTRAINT users_role_check CHECK (role IN ('partner', 'analyst', 'chair', 'admin'));
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check,
    ADD CONSTRAINT api_keys_role_check CHECK (role IN ('partner', 'analyst', 'chair', 'admin'));
ALTER TABLE agencies DROP COLUMN self_grading;
