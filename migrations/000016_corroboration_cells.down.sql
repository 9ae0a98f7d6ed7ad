DROP INDEX reports_corroboration_idx;
