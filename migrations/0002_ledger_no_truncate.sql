-- The ledger is the sum of its movements: emptying the table would silently rewrite every
-- entitlement, so TRUNCATE is refused like UPDATE and DELETE.
CREATE TRIGGER ledger_movements_no_truncate BEFORE TRUNCATE ON ledger_movements
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_movements_append_only();
