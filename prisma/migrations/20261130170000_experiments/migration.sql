-- Issue 16: POST /v1/experiments, a comparison of runs x seeds in one request.

-- CreateTable
CREATE TABLE "experiments" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "dataset_id" TEXT NOT NULL,
    "eval_dataset_id" TEXT,
    "request" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "experiments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "experiment_rows" (
    "experiment_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "seed" INTEGER NOT NULL,
    "job_id" TEXT NOT NULL,
    "evaluation_id" TEXT,

    CONSTRAINT "experiment_rows_pkey" PRIMARY KEY ("experiment_id","position")
);

-- CreateIndex
CREATE INDEX "experiments_tenant_id_created_at_idx" ON "experiments"("tenant_id", "created_at");

-- CreateIndex
CREATE INDEX "experiment_rows_job_id_idx" ON "experiment_rows"("job_id");

-- CreateIndex
CREATE INDEX "experiment_rows_evaluation_id_idx" ON "experiment_rows"("evaluation_id");

-- AddForeignKey
ALTER TABLE "experiments" ADD CONSTRAINT "experiments_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "experiment_rows" ADD CONSTRAINT "experiment_rows_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiments"("id") ON DELETE CASCADE ON UPDATE CASCADE;
