-- Corroboration finds a new report's candidates by its stored cell
-- (resolution 10, about 75 m a side): the live reports in the ring of
-- cells around its own, a few days either side, one probe per report
-- whatever the number of agencies or the size of the table. Whether the
-- report is corroborated needs one candidate (reports_corroboration_idx);
-- the reports it corroborates in turn are only those not corroborated yet
-- (reports_uncorroborated_idx), few where reports are dense.
CREATE INDEX reports_corroboration_idx ON reports (cell, observed_at) INCLUDE (agency_id, geom) WHERE status = 'live';
CREATE INDEX reports_uncorroborated_idx ON reports (cell, observed_at) WHERE status = 'live' AND NOT corroborated;
