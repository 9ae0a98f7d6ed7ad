-- A report counts in the cell that holds its point at each resolution
-- (cells[1] at resolution 6 … cells[5] at 10; the parent of its finest
-- cell is not always the one that holds it), and its weight is spread over
-- the cells its precision disk overlaps at resolutions whose cells are
-- smaller than its precision (spread_cells, spread_weights: a cell's
-- resolution is in its index; weights are single precision, as the engine
-- holds them). `hexwatch migrate up` fills both for the
-- reports stored before, from their points.
ALTER TABLE reports ADD COLUMN cells bigint[], ADD COLUMN spread_cells bigint[], ADD COLUMN spread_weights real[];
