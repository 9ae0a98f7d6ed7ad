-- The audit log is hash-chained: each event holds the SHA-256 of the one
-- before it (prev_hash) and its own (hash, over prev_hash and its fields),
-- in the order chain_seq they were written. Changing, removing or
-- reordering an event breaks the chain at that event, which
-- `hexwatch audit verify` names.

ALTER TABLE audit_events ADD COLUMN chain_seq bigint, ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;

-- audit_row_hash is the hash of event e chained to prev: the fields in a
-- fixed order and form, whatever the session's time zone. The functions
-- name their tables with the schema and fix their search path, so that no
-- session's temporary table can stand in for the log.
CREATE FUNCTION audit_row_hash(prev bytea, e public.audit_events) RETURNS bytea
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public AS $$
    SELECT sha256(prev || convert_to(concat_ws(chr(31),
        e.chain_seq::text, e.id::text, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        coalesce(e.actor_user_id::text, ''), coalesce(e.actor_key_id::text, ''), e.actor,
        coalesce(e.agency_id::text, ''), e.action, e.object_type, e.object_id, e.recipient,
        e.justification, e.request_id, e.remote_addr, coalesce(e.detail::text, '')), 'UTF8'))
$$;

-- The events so far, chained in id order by the log's owner.
ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete;
DO $$
DECLARE
    e    audit_events;
    prev bytea := '\x';
    n    bigint := 0;
BEGIN
    FOR e IN SELECT * FROM audit_events ORDER BY id LOOP
        n := n + 1;
        e.chain_seq := n;
        UPDATE audit_events SET chain_seq = n, prev_hash = prev, hash = audit_row_hash(prev, e) WHERE id = e.id
            RETURNING hash INTO prev;
    END LOOP;
END $$;
ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete;

ALTER TABLE audit_events ALTER COLUMN chain_seq SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL;
CREATE UNIQUE INDEX audit_events_chain_idx ON audit_events (chain_seq);

-- Each new event is chained to the last one written; writers take turns
-- (the lock is held to the end of the writing transaction, so the next
-- writer sees this event).
CREATE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
DECLARE
    last public.audit_events;
BEGIN
    PERFORM pg_advisory_xact_lock(7303);
    SELECT * INTO last FROM public.audit_events ORDER BY chain_seq DESC LIMIT 1;
    NEW.chain_seq := coalesce(last.chain_seq, 0) + 1;
    NEW.prev_hash := coalesce(last.hash, '\x'::bytea);
    NEW.hash := public.audit_row_hash(NEW.prev_hash, NEW);
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_chain();
