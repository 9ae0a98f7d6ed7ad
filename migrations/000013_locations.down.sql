DROP TABLE release_salt;
DROP TABLE release_locations;
DROP TABLE location_actions;
DROP TABLE location_areas;
DROP FUNCTION location_areas_append_only();
DROP TABLE locations;
