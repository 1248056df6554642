-- History is evidence, like the audit log and the ledger (0001, 0002): the database itself refuses
-- to change or remove it. Two changes to its personal (encrypted) columns stay possible:
--   * erasure: set to NULL once the case is pseudonymised (registrations.pseudonymised_at set in
--     the same transaction before), by the retention rule or an erasure request;
--   * key rotation (npm run rotate-keys): the value re-encrypted under another key id (or an
--     unbound v1 value rewritten as v2). A rewrite under the same key is refused.
-- Every other column must stay as it was.
-- Never NULL (a NULL would read as "not refused" in the triggers' IF): COALESCE to false.
CREATE OR REPLACE FUNCTION personal_value_change_allowed(old_value text, new_value text, registration uuid) RETURNS boolean AS $$
  SELECT COALESCE(
    old_value IS NOT DISTINCT FROM new_value
    OR (new_value IS NULL AND EXISTS (SELECT 1 FROM registrations r WHERE r.id = registration AND r.pseudonymised_at IS NOT NULL))
    OR (old_value IS NOT NULL AND new_value IS NOT NULL AND new_value LIKE 'v2.%'
        AND (old_value LIKE 'v1.%' OR split_part(old_value, '.', 2) <> split_part(new_value, '.', 2))),
    false);
$$ LANGUAGE sql STABLE;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION append_only_but_erasable() RETURNS trigger AS $$
DECLARE
  erasable text[] := TG_ARGV;
  col text;
BEGIN
  IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - erasable) = (to_jsonb(OLD) - erasable) THEN
    FOREACH col IN ARRAY erasable LOOP
      IF NOT personal_value_change_allowed(to_jsonb(OLD) ->> col, to_jsonb(NEW) ->> col, NEW.registration_id) THEN
        RAISE EXCEPTION '%.% may only be erased (set to NULL, once the case is pseudonymised) or re-encrypted under another key', TG_TABLE_NAME, col
          USING ERRCODE = 'insufficient_privilege';
      END IF;
    END LOOP;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- A registration's history: every transition with actor, time and (encrypted) reason.
CREATE TRIGGER registration_events_append_only BEFORE UPDATE OR DELETE ON registration_events
  FOR EACH ROW EXECUTE FUNCTION append_only_but_erasable('reason_ciphertext');
--> statement-breakpoint
CREATE TRIGGER registration_events_no_truncate BEFORE TRUNCATE ON registration_events
  FOR EACH STATEMENT EXECUTE FUNCTION append_only();
--> statement-breakpoint
-- Attempts to register a family that was already registered (no personal data in them).
CREATE TRIGGER duplicate_attempts_append_only BEFORE UPDATE OR DELETE ON duplicate_attempts
  FOR EACH ROW EXECUTE FUNCTION append_only();
--> statement-breakpoint
CREATE TRIGGER duplicate_attempts_no_truncate BEFORE TRUNCATE ON duplicate_attempts
  FOR EACH STATEMENT EXECUTE FUNCTION append_only();
--> statement-breakpoint
-- The balances snapshotted when a period closed.
CREATE TRIGGER period_settlements_append_only BEFORE UPDATE OR DELETE ON period_settlements
  FOR EACH ROW EXECUTE FUNCTION append_only();
--> statement-breakpoint
CREATE TRIGGER period_settlements_no_truncate BEFORE TRUNCATE ON period_settlements
  FOR EACH STATEMENT EXECUTE FUNCTION append_only();
--> statement-breakpoint
-- Shelter stays are the evidence for compensation: never deleted, and a stay that has been
-- corrected (a newer stay references it) never changes again, but for the erasure or re-encryption
-- of its location (as above).
CREATE OR REPLACE FUNCTION shelter_stays_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NOT EXISTS (SELECT 1 FROM shelter_stays newer WHERE newer.corrects_id = OLD.id) THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE'
     AND (to_jsonb(NEW) - 'location_ciphertext') = (to_jsonb(OLD) - 'location_ciphertext')
     AND personal_value_change_allowed(OLD.location_ciphertext, NEW.location_ciphertext, NEW.registration_id) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'shelter_stays: a % of a corrected stay, or any delete, is refused (record a correction instead)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER shelter_stays_evidence BEFORE UPDATE OR DELETE ON shelter_stays
  FOR EACH ROW EXECUTE FUNCTION shelter_stays_guard();
--> statement-breakpoint
CREATE TRIGGER shelter_stays_no_truncate BEFORE TRUNCATE ON shelter_stays
  FOR EACH STATEMENT EXECUTE FUNCTION append_only();
