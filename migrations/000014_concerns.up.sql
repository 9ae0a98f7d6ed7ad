-- Concerns from the public: the built-in agency their reports belong to,
-- their sealed contact details, and the proof-of-work nonces spent.

ALTER TABLE agencies DROP CONSTRAINT agencies_kind_check,
    ADD CONSTRAINT agencies_kind_check CHECK (kind IN ('police', 'local_authority', 'education', 'health', 'social_care',
                                                       'youth_justice', 'housing', 'voluntary', 'community', 'public')),
    -- The public never grades its own concerns: an evaluator does.
    ADD CONSTRAINT agencies_public_not_self_grading CHECK (kind <> 'public' OR NOT self_grading);

-- The one agency of kind public, built in.
INSERT INTO agencies (id, name, kind, self_grading)
VALUES ('00000000-0000-7000-8000-00000000c0c0', 'Public (community concern)', 'public', false);
CREATE UNIQUE INDEX agencies_one_public ON agencies (kind) WHERE kind = 'public';

-- No one signs in or holds a key as the public.
CREATE FUNCTION no_public_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM agencies WHERE id = NEW.agency_id AND kind = 'public') THEN
        RAISE EXCEPTION 'the public agency has no users or API keys'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'no_public_members';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER users_no_public BEFORE INSERT OR UPDATE OF agency_id ON users
    FOR EACH ROW EXECUTE FUNCTION no_public_members();
CREATE TRIGGER api_keys_no_public BEFORE INSERT OR UPDATE OF agency_id ON api_keys
    FOR EACH ROW EXECUTE FUNCTION no_public_members();

-- Contact details a member of the public chose to give, sealed with
-- AES-256-GCM under HEXWATCH_CONCERN_KEY (the report's id authenticated
-- with them); erased with the report.
CREATE TABLE concern_contacts (
    report_id uuid PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
    sealed    bytea NOT NULL CHECK (length(sealed) BETWEEN 29 AND 2048)
);

-- Proof-of-work nonces already used: each is accepted once.
CREATE TABLE concern_nonces (
    nonce_hash bytea PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX concern_nonces_expires_idx ON concern_nonces (expires_at);

-- After a large upload the service refreshes the statistics of reports
-- (ANALYZE needs the table's owner), so that plans do not wait for
-- autovacuum, which may be late or off.
CREATE FUNCTION analyze_reports() RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public AS 'ANALYZE reports';
REVOKE ALL ON FUNCTION analyze_reports() FROM PUBLIC;
