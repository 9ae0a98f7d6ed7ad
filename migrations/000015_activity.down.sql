DROP INDEX reports_created_at_idx;
