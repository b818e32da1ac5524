-- API processes cache API keys for a few seconds (src/domain/apiKeyCache.ts). Every change to a
-- key's row (revoke, rotate, delete, a tenant's cascade) tells them at commit, with the key's hash,
-- so a revoked key stops working on every replica at once. TRUNCATE tells them to drop everything.
CREATE FUNCTION "simsiam_api_key_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('simsiam_api_key_changed', '*');
    RETURN NULL;
  END IF;
  PERFORM pg_notify('simsiam_api_key_changed', OLD.hash);
  IF TG_OP = 'UPDATE' AND NEW.hash IS DISTINCT FROM OLD.hash THEN
    PERFORM pg_notify('simsiam_api_key_changed', NEW.hash);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "api_keys_changed" AFTER UPDATE OR DELETE ON "api_keys"
  FOR EACH ROW EXECUTE FUNCTION "simsiam_api_key_changed"();

CREATE TRIGGER "api_keys_truncated" AFTER TRUNCATE ON "api_keys"
  FOR EACH STATEMENT EXECUTE FUNCTION "simsiam_api_key_changed"();
