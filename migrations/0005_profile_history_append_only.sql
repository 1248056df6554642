-- A profile's history is what the coordinator answers for ("why was this family not sent to X?"):
-- the database refuses to change or remove a version, whatever the application attempts.
CREATE OR REPLACE FUNCTION municipality_profile_versions_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'municipality_profile_versions is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER municipality_profile_versions_no_update BEFORE UPDATE OR DELETE ON municipality_profile_versions
  FOR EACH ROW EXECUTE FUNCTION municipality_profile_versions_append_only();
--> statement-breakpoint
CREATE TRIGGER municipality_profile_versions_no_truncate BEFORE TRUNCATE ON municipality_profile_versions
  FOR EACH STATEMENT EXECUTE FUNCTION municipality_profile_versions_append_only();
