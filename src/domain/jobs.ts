// Training jobs: creation (row + queue entry in one transaction), tenant-scoped reads, cancellation.
// Every query takes the tenant id, so another tenant's job is indistinguishable from a missing one.
// Writes go through the raw pg pool because pg-boss must join the same transaction; reads use Prisma.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Db } from '../db/client.ts';
import type { Checkpoint, Job, MetricPoint } from '../generated/prisma/client.ts';
import { enqueue, inTransaction, QUEUES } from '../queue/boss.ts';
import type { Services } from '../services.ts';
import { afterCursor, PAGE_ORDER, toPage } from './cursor.ts';
import { errors } from '../errors/catalogue.ts';
import { newId } from './ids.ts';
import { type ConfigIssue, requestConfigIssues, resolveTrainingConfig, type TrainingConfig } from './trainingConfig.ts';
import { lockDatasetForJob } from './datasets.ts';
import { datasetShape, withDataDefaults } from './dataDefaults.ts';
import { NOW_UTC, withTransaction } from '../db/transaction.ts';
import { lockTenant, requireWithinQuota } from './quotas.ts';
import { nextQueueTag, priorityOf } from '../queue/fairness.ts';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINISHED_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
const FINISHED: ReadonlySet<string> = new Set(FINISHED_JOB_STATUSES);

type JobDeps = Pick<Services, 'db' | 'pool' | 'boss' | 'events'>;


export interface CreateJobRequest {
  datasetId: string;
  config?: unknown;
}

/** What clients see of a job (REST and GraphQL); internal bookkeeping columns stay private. */
export function jobView(job: Job) {
  return {
    id: job.id,
    status: job.status as JobStatus,
    datasetId: job.datasetId,
    config: job.config,
    progress: job.progress,
    error: job.error as { code: string; message: string } | null,
    attempts: job.attempts,
    backend: job.backend,
    workerId: job.workerId,
    resumedFromEpoch: job.resumedFromEpoch,
    cancelRequestedAt: job.cancelRequestedAt,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

export type JobView = ReturnType<typeof jobView>;

// jobView's fields straight from the row; TIMESTAMP columns hold UTC (NOW_UTC), so they are read as such
const JOB_VIEW_SQL = `SELECT id, status, dataset_id AS "datasetId", config, progress, error, attempts, backend,
  worker_id AS "workerId", resumed_from_epoch AS "resumedFromEpoch",
  cancel_requested_at AT TIME ZONE 'UTC' AS "cancelRequestedAt", created_at AT TIME ZONE 'UTC' AS "createdAt",
  updated_at AT TIME ZONE 'UTC' AS "updatedAt", started_at AT TIME ZONE 'UTC' AS "startedAt",
  finished_at AT TIME ZONE 'UTC' AS "finishedAt"
  FROM jobs WHERE id = $1 AND tenant_id = $2`;

/**
 * What getJob + jobView give, in one prepared statement on the raw pool: the status poll of every
 * client, the dashboard and the CLI, where Prisma's per-query cost would dominate.
 */
export async function readJobView(pool: pg.Pool, tenantId: string, id: string): Promise<JobView> {
  const { rows } = await pool.query<JobView>({ name: 'job-view', text: JOB_VIEW_SQL, values: [id, tenantId] });
  if (!rows[0]) throw errors.JOB_NOT_FOUND(id);
  return rows[0];
}

export const isFinished = (status: string) => FINISHED.has(status);

/**
 * Records a job and its queue entry atomically. With an idempotency key, a retry of the same request
 * returns the first job (`replayed`), a different request under the same key is refused; the unique
 * (tenant, key) index settles concurrent retries, and the loser's queue entry rolls back with it.
 */
export async function createJob(
  deps: JobDeps,
  tenantId: string,
  request: CreateJobRequest,
  idempotencyKey?: string,
): Promise<{ job: Job; replayed: boolean }> {
  const requestHash = idempotencyKey ? hashRequest(request) : null;
  if (idempotencyKey) {
    const earlier = await findByIdempotencyKey(deps.db, tenantId, idempotencyKey);
    if (earlier) return replay(earlier, requestHash!);
  }
  const resolved = await resolveJobConfig(deps.pool, tenantId, request);

  let id: string;
  try {
    id = await withTransaction(deps.pool, async (client) => {
      const quotas = await lockTenant(client, tenantId);
      await requireWithinQuota(client, tenantId, quotas, 'trainingMinutesPerMonth');
      const created = await insertJob(deps, client, tenantId, request.datasetId, resolved.config, { idempotencyKey, requestHash });
      await requireWithinQuota(client, tenantId, quotas, 'activeJobs');
      return created;
    });
  } catch (err) {
    if (idempotencyKey && (err as { code?: string }).code === '23505') {
      const winner = await findByIdempotencyKey(deps.db, tenantId, idempotencyKey);
      if (winner) return replay(winner, requestHash!);
    }
    throw err;
  }
  return { job: await getJob(deps.db, tenantId, id), replayed: false };
}

/**
 * The job row and its queue entry, inside a transaction that holds the tenant lock (the caller checks
 * the quotas around it); returns the new job's id.
 */
export async function insertJob(
  deps: Pick<Services, 'boss' | 'events'>,
  client: pg.PoolClient,
  tenantId: string,
  datasetId: string,
  config: TrainingConfig,
  key: { idempotencyKey?: string; requestHash?: string | null } = {},
): Promise<string> {
  const id = newId('job');
  // the FOR SHARE lock keeps the dataset from being deleted under the job; image_seq_max
  // snapshots it, so images uploaded later do not change what the job trains on
  const { seqMax: imageSeqMax, imageCount } = await lockDatasetForJob(client, tenantId, datasetId);
  // training drops the last partial batch, so a dataset smaller than one batch has no step at all
  if (imageCount < config.batchSize) {
    throw errors.DATASET_TOO_SMALL(`dataset ${datasetId} has ${imageCount} images, fewer than batchSize ${config.batchSize}`).with({
      imageCount,
      batchSize: config.batchSize,
    });
  }
  const tag = await nextQueueTag(client, tenantId);
  const queueJobId = await enqueue(deps.boss, QUEUES.train, { id }, client, priorityOf(tag));
  await client.query(
    `INSERT INTO jobs (id, tenant_id, dataset_id, config, status, idempotency_key, request_hash, queue_job_id,
                       image_seq_max, queue_tag, created_at, updated_at)
     VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, $9, ${NOW_UTC}, ${NOW_UTC})`,
    [id, tenantId, datasetId, JSON.stringify(config), key.idempotencyKey ?? null, key.requestHash ?? null, queueJobId, imageSeqMax, tag],
  );
  return id;
}

function invalidConfig(issues: ConfigIssue[], prefix: string) {
  const details = issues.map((i) => ({ field: i.field === '(root)' ? prefix : `${prefix}.${i.field}`, message: i.message }));
  return errors.INVALID_JOB_CONFIG(details.map((d) => `${d.field} ${d.message}`).join('; ')).with(details);
}

/** The request's config with the dataset's defaults and every schema default filled; 400 naming the fields when invalid. */
export async function resolveJobConfig(pool: pg.Pool, tenantId: string, request: CreateJobRequest, fieldPrefix = 'config') {
  const early = requestConfigIssues(request.config);
  if (early.length) throw invalidConfig(early, fieldPrefix);
  const shape = await datasetShape(pool, tenantId, request.datasetId);
  const resolved = resolveTrainingConfig(withDataDefaults(request.config ?? {}, shape));
  if ('issues' in resolved) throw invalidConfig(resolved.issues, fieldPrefix);
  return resolved;
}

function replay(earlier: Job, requestHash: string) {
  if (earlier.requestHash !== requestHash) {
    throw errors.IDEMPOTENCY_KEY_REUSED();
  }
  return { job: earlier, replayed: true };
}

function findByIdempotencyKey(db: Db, tenantId: string, idempotencyKey: string) {
  return db.job.findUnique({ where: { tenantId_idempotencyKey: { tenantId, idempotencyKey } } });
}

/** sha256 of the request with object keys sorted, so key order does not make a different request. */
function hashRequest(request: CreateJobRequest): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]))
        : value;
  const body = JSON.stringify(canonical({ datasetId: request.datasetId, config: request.config ?? {} }));
  return createHash('sha256').update(body).digest('hex');
}

export async function getJob(db: Db, tenantId: string, id: string): Promise<Job> {
  const job = await db.job.findFirst({ where: { id, tenantId } });
  if (!job) throw errors.JOB_NOT_FOUND(id);
  return job;
}

export interface JobFilter {
  limit: number;
  cursor?: string;
  status?: JobStatus;
  datasetId?: string;
}

/** Newest first. */
export async function listJobs(db: Db, tenantId: string, filter: JobFilter) {
  const rows = await db.job.findMany({
    where: { tenantId, status: filter.status, datasetId: filter.datasetId, ...afterCursor(filter.cursor) },
    orderBy: PAGE_ORDER,
    take: filter.limit + 1,
  });
  return toPage(rows, filter.limit);
}

/**
 * A queued job is cancelled on the spot; a running one gets `cancelRequestedAt` and its queue entry
 * cancelled, which aborts the worker's `job.signal`; the worker then records `cancelled` itself.
 * Returns the job after the change and whether it is already final.
 */
export async function cancelJob(deps: JobDeps, tenantId: string, id: string): Promise<{ job: Job; immediate: boolean }> {
  const immediate = await withTransaction(deps.pool, async (client) => {
    const { rows } = await client.query<{ status: string; queue_job_id: string | null }>(
      'SELECT status, queue_job_id FROM jobs WHERE id = $1 AND tenant_id = $2 FOR UPDATE',
      [id, tenantId],
    );
    const row = rows[0];
    if (!row) throw errors.JOB_NOT_FOUND(id);
    if (isFinished(row.status)) throw errors.JOB_FINISHED(id, row.status);
    const queued = row.status === 'queued';
    await client.query(
      queued
        ? `UPDATE jobs SET status = 'cancelled', cancel_requested_at = ${NOW_UTC}, finished_at = ${NOW_UTC},
                           updated_at = ${NOW_UTC} WHERE id = $1`
        : `UPDATE jobs SET cancel_requested_at = COALESCE(cancel_requested_at, ${NOW_UTC}), updated_at = ${NOW_UTC}
           WHERE id = $1`,
      [id],
    );
    if (row.queue_job_id) await deps.boss.cancel(QUEUES.train, row.queue_job_id, inTransaction(client));
    return queued;
  });
  deps.events.changedHere(id);
  return { job: await getJob(deps.db, tenantId, id), immediate };
}

function metricView(point: MetricPoint) {
  return { epoch: point.epoch, step: point.step, values: point.values, createdAt: point.createdAt };
}

/** Metric points with step > `since`, oldest first; `nextSince` is set while more rows follow. */
export async function listMetrics(db: Db, tenantId: string, jobId: string, page: { since?: number; limit: number }) {
  await getJob(db, tenantId, jobId);
  const rows = await db.metricPoint.findMany({
    where: { jobId, ...(page.since === undefined ? {} : { step: { gt: page.since } }) },
    orderBy: { step: 'asc' },
    take: page.limit + 1,
  });
  const items = rows.slice(0, page.limit);
  return { items: items.map(metricView), nextSince: rows.length > page.limit ? items[items.length - 1]!.step : null };
}

/** The `last` newest points of a job the caller already holds, oldest first. */
export async function latestMetrics(db: Db, jobId: string, last: number) {
  const rows = await db.metricPoint.findMany({ where: { jobId }, orderBy: { step: 'desc' }, take: last });
  return rows.reverse().map(metricView);
}

function checkpointView(checkpoint: Checkpoint) {
  return {
    id: checkpoint.id,
    epoch: checkpoint.epoch,
    step: checkpoint.step,
    sizeBytes: Number(checkpoint.sizeBytes),
    metrics: checkpoint.metrics,
    isFinal: checkpoint.isFinal,
    createdAt: checkpoint.createdAt,
  };
}

/** Checkpoints of a job the caller already holds, by epoch. */
export async function jobCheckpoints(db: Db, jobId: string) {
  const rows = await db.checkpoint.findMany({ where: { jobId }, orderBy: [{ epoch: 'asc' }, { isFinal: 'asc' }] });
  return rows.map(checkpointView);
}

export async function listCheckpoints(db: Db, tenantId: string, jobId: string) {
  await getJob(db, tenantId, jobId);
  return { items: await jobCheckpoints(db, jobId) };
}
