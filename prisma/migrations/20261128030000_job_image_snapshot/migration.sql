-- A job trains on the images its dataset had when it was created (jobs.image_seq_max bounds images.seq)
-- AlterTable
ALTER TABLE "images" ADD COLUMN     "seq" BIGSERIAL NOT NULL;

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "image_seq_max" BIGINT;
