DROP TABLE IF EXISTS snapshots;
DROP FUNCTION IF EXISTS snapshots_frozen();
