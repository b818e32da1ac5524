-- The pg-boss id of a job's queue entry, so cancelling a job can cancel its queue entry too.
ALTER TABLE "jobs" ADD COLUMN "queue_job_id" TEXT;
