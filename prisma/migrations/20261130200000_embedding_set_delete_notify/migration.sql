-- API processes keep hot embedding sets in memory for neighbour queries (src/serving/hotSets.ts).
-- Every deleted set (its own route, its job's, its tenant's cascade) tells them at commit, with the
-- set's id, so each process frees it at once. TRUNCATE tells them to drop everything.
CREATE FUNCTION "simsiam_embedding_set_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('simsiam_embedding_set_deleted', '*');
    RETURN NULL;
  END IF;
  PERFORM pg_notify('simsiam_embedding_set_deleted', OLD.id);
  RETURN NULL;
END
$$;

CREATE TRIGGER "embedding_sets_deleted" AFTER DELETE ON "embedding_sets"
  FOR EACH ROW EXECUTE FUNCTION "simsiam_embedding_set_deleted"();

CREATE TRIGGER "embedding_sets_truncated" AFTER TRUNCATE ON "embedding_sets"
  FOR EACH STATEMENT EXECUTE FUNCTION "simsiam_embedding_set_deleted"();
