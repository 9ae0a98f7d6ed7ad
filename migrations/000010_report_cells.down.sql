ALTER TABLE reports DROP COLUMN cells, DROP COLUMN spread_cells, DROP COLUMN spread_weights;
