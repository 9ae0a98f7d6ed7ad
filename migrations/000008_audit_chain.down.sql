DROP TRIGGER audit_events_chain ON audit_events;
DROP FUNCTION audit_events_chain();
DROP INDEX audit_events_chain_idx;
ALTER TABLE audit_events DROP COLUMN chain_seq, DROP COLUMN prev_hash, DROP COLUMN hash;
DROP FUNCTION audit_row_hash(bytea, public.audit_events);
