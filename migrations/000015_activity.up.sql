-- Reports received per agency per week (the agencies' activity) read
-- this index alone.
CREATE INDEX reports_created_at_idx ON reports (created_at) INCLUDE (agency_id);
