DROP INDEX reports_uncorroborated_idx;
DROP INDEX reports_corroboration_idx;
