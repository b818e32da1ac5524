-- Issue 17: key scopes and expiry, per-tenant quotas, fair queueing, deletes that free storage.

-- AlterTable: keys made before scopes keep what they could do (read and write), not admin
ALTER TABLE "api_keys" ADD COLUMN     "scopes" TEXT[] DEFAULT ARRAY['read', 'write']::TEXT[],
ADD COLUMN     "expires_at" TIMESTAMP(3);

-- AlterTable: per-tenant quota overrides; a missing name means the default
ALTER TABLE "tenants" ADD COLUMN     "quotas" JSONB NOT NULL DEFAULT '{}';

-- AlterTable: the job's place in the fair queue (src/queue/fairness.ts)
ALTER TABLE "jobs" ADD COLUMN     "queue_tag" INTEGER;

-- CreateTable: training time of deleted jobs, so deleting a job does not refund the monthly quota
CREATE TABLE "training_usage" (
    "tenant_id" TEXT NOT NULL,
    "month" DATE NOT NULL,
    "seconds" DOUBLE PRECISION NOT NULL DEFAULT 0,

    CONSTRAINT "training_usage_pkey" PRIMARY KEY ("tenant_id","month")
);

-- CreateTable: an upload in flight holds a lease on its blob's content address (src/storage/blobGc.ts)
CREATE TABLE "blob_leases" (
    "sha256" TEXT NOT NULL,
    "lease_id" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "blob_leases_pkey" PRIMARY KEY ("sha256","lease_id")
);

-- CreateTable: image blobs that may have lost their last reference
CREATE TABLE "blob_gc_candidates" (
    "sha256" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "blob_gc_candidates_pkey" PRIMARY KEY ("sha256")
);

-- CreateIndex
CREATE INDEX "images_sha256_idx" ON "images"("sha256");

-- CreateIndex
CREATE INDEX "jobs_status_queue_tag_idx" ON "jobs"("status", "queue_tag");

-- AddForeignKey
ALTER TABLE "training_usage" ADD CONSTRAINT "training_usage_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
