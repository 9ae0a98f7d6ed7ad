DROP FUNCTION analyze_reports();
DROP TABLE concern_nonces;
DROP TABLE concern_contacts;
DROP TRIGGER api_keys_no_public ON api_keys;
DROP TRIGGER users_no_public ON users;
DROP FUNCTION no_public_members();
DROP INDEX agencies_one_public;
DELETE FROM agencies WHERE kind = 'public' AND NOT EXISTS (SELECT 1 FROM reports WHERE agency_id = agencies.id);
ALTER TABLE agencies DROP CONSTRAINT agencies_public_not_self_grading, DROP CONSTRAINT agencies_kind_check,
    ADD CONSTRAINT agencies_kind_check CHECK (kind IN ('police', 'local_authority', 'education', 'health', 'social_care',
                                                       'youth_justice', 'housing', 'voluntary', 'community'));
