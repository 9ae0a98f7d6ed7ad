DROP TABLE published_queries;
ALTER TABLE snapshots DROP COLUMN published;
ALTER TABLE reports DROP COLUMN record_key;
