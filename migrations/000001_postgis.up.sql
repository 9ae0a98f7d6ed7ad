-- PostGIS stores report locations and answers spatial filters.
CREATE EXTENSION IF NOT EXISTS postgis;
