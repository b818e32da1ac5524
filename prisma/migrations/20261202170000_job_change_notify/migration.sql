-- Every change to a job's row NOTIFYs its id at commit on the channel API replicas LISTEN on
-- (src/db/jobEvents.ts): GraphQL subscribers re-read the job, and the job-view cache
-- (src/domain/jobViewCache.ts) drops it first. TRUNCATE tells them to drop everything.
CREATE FUNCTION "simsiam_job_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('simsiam_job_updated', '*');
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM pg_notify('simsiam_job_updated', NEW.id);
  ELSE
    PERFORM pg_notify('simsiam_job_updated', OLD.id);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "jobs_changed" AFTER INSERT OR UPDATE OR DELETE ON "jobs"
  FOR EACH ROW EXECUTE FUNCTION "simsiam_job_changed"();

CREATE TRIGGER "jobs_truncated" AFTER TRUNCATE ON "jobs"
  FOR EACH STATEMENT EXECUTE FUNCTION "simsiam_job_changed"();
