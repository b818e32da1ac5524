-- When a worker first picked up an embedding set, so its timings can be reported like an evaluation's.
ALTER TABLE "embedding_sets" ADD COLUMN "started_at" TIMESTAMP(3);
