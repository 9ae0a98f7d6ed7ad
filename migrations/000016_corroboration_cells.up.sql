-- Corroboration finds a new report's candidates in the resolution-8 cells
-- around its own (the parent of its stored resolution-10 cell: the
-- resolution set to 8, the two finer digits to 7), a few days either side:
-- one probe per cell, whatever the number of agencies or the size of the
-- table.
CREATE INDEX reports_corroboration_idx ON reports
    (((cell & ~(15::bigint << 52)) | (8::bigint << 52) | (63::bigint << 15)), observed_at) WHERE status = 'live';
