ALTER TABLE snapshots DROP COLUMN release_cutoff;
DROP TABLE release_tables;
DROP TABLE releases;
DROP FUNCTION releases_immutable();
ALTER TABLE reports DROP COLUMN counted_at;
