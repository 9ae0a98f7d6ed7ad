DROP INDEX IF EXISTS reports_review_at_idx;
DROP TABLE IF EXISTS retention_decisions;
