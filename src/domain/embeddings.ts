// Embedding sets: frozen-backbone features of every image of one dataset under one checkpoint of a
// job, computed by a worker into S3 (vectors.npy + rows.json). One set per (job, checkpoint, dataset):
// asking again returns it (and re-queues it if it had failed). Tenant-scoped like everything else.
import type pg from 'pg';
import type { Db } from '../db/client.ts';
import { NOW_UTC, withTransaction } from '../db/transaction.ts';
import type { Checkpoint, EmbeddingSet, Job } from '../generated/prisma/client.ts';
import { enqueue, QUEUES } from '../queue/boss.ts';
import type { Services } from '../services.ts';
import { describeDataset } from './datasets.ts';
import { errors } from '../errors/catalogue.ts';
import { newId } from './ids.ts';
import { getJob } from './jobs.ts';
import { lockTenant, requireWithinQuota } from './quotas.ts';

/** Lifecycle of embedding sets and evaluations (a job's, minus cancellation). */
const TASK_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const FINISHED_TASK_STATUSES: readonly TaskStatus[] = ['succeeded', 'failed'];

type Deps = Pick<Services, 'db' | 'pool' | 'boss'>;

/**
 * The checkpoint a request means: the given id (it must belong to the job), or by default the job's
 * final checkpoint, else its newest periodic one, so a job can be evaluated while it still trains.
 * A job with no checkpoint yet is refused with 409 JOB_NOT_READY.
 */
export async function modelCheckpoint(db: Db, tenantId: string, jobId: string, checkpointId?: string): Promise<{ job: Job; checkpoint: Checkpoint }> {
  const job = await getJob(db, tenantId, jobId);
  const checkpoint = await db.checkpoint.findFirst({
    where: { jobId, ...(checkpointId && { id: checkpointId }) },
    orderBy: [{ isFinal: 'desc' }, { step: 'desc' }],
  });
  if (checkpoint) return { job, checkpoint };
  if (checkpointId) throw errors.CHECKPOINT_NOT_FOUND(checkpointId);
  throw errors.JOB_NOT_READY(jobId, job.status);
}

/** The dataset, which must be the tenant's and hold images; with `labeled`, every image needs a label. */
export async function requireDataset(db: Db, tenantId: string, datasetId: string, opts: { labeled?: boolean } = {}) {
  const dataset = await describeDataset(db, tenantId, datasetId);
  if (dataset.imageCount === 0) throw errors.DATASET_EMPTY(datasetId);
  if (opts.labeled && dataset.unlabeledCount > 0) {
    throw errors.DATASET_UNLABELED(datasetId, dataset.unlabeledCount).with({
      unlabeledCount: dataset.unlabeledCount,
    });
  }
  return dataset;
}

export function embeddingSetView(set: EmbeddingSet) {
  return {
    id: set.id,
    status: set.status as TaskStatus,
    jobId: set.jobId,
    checkpointId: set.checkpointId,
    datasetId: set.datasetId,
    count: set.count,
    dim: set.dim,
    error: set.error as { code: string; message: string } | null,
    createdAt: set.createdAt,
    startedAt: set.startedAt,
    finishedAt: set.finishedAt,
  };
}

export async function requestEmbeddings(
  deps: Deps,
  tenantId: string,
  jobId: string,
  request: { datasetId: string; checkpoint?: string },
): Promise<{ set: EmbeddingSet; created: boolean }> {
  const { checkpoint } = await modelCheckpoint(deps.db, tenantId, jobId, request.checkpoint);
  await requireDataset(deps.db, tenantId, request.datasetId);
  const { id, created } = await withTransaction(deps.pool, async (client) => {
    const quotas = await lockTenant(client, tenantId);
    const inserted = await client.query<{ id: string }>(
      `INSERT INTO embedding_sets (id, tenant_id, job_id, checkpoint_id, dataset_id, status, created_at)
       VALUES ($1, $2, $3, $4, $5, 'queued', ${NOW_UTC})
       ON CONFLICT (job_id, checkpoint_id, dataset_id) DO NOTHING RETURNING id`,
      [newId('emb'), tenantId, jobId, checkpoint.id, request.datasetId],
    );
    if (inserted.rows[0]) {
      await requireWithinQuota(client, tenantId, quotas, 'concurrentTasks');
      await enqueue(deps.boss, QUEUES.embed, { id: inserted.rows[0].id }, client);
      return { id: inserted.rows[0].id, created: true };
    }
    const { rows } = await client.query<{ id: string; status: string }>(
      'SELECT id, status FROM embedding_sets WHERE job_id = $1 AND checkpoint_id = $2 AND dataset_id = $3 FOR UPDATE',
      [jobId, checkpoint.id, request.datasetId],
    );
    // a failed set is the only one worth computing again
    if (rows[0].status === 'failed') {
      await client.query(`UPDATE embedding_sets SET status = 'queued', error = NULL, started_at = NULL, finished_at = NULL WHERE id = $1`, [rows[0].id]);
      await requireWithinQuota(client, tenantId, quotas, 'concurrentTasks');
      await enqueue(deps.boss, QUEUES.embed, { id: rows[0].id }, client);
    }
    return { id: rows[0].id, created: false };
  });
  return { set: await getEmbeddingSet(deps.db, tenantId, id), created };
}

export async function getEmbeddingSet(db: Db, tenantId: string, id: string): Promise<EmbeddingSet> {
  const set = await db.embeddingSet.findFirst({ where: { id, tenantId } });
  if (!set) throw errors.EMBEDDING_SET_NOT_FOUND(id);
  return set;
}

const READY_SET_SQL = `SELECT id, status, count, dim, vectors_key AS "vectorsKey", rows_key AS "rowsKey"
  FROM embedding_sets WHERE id = $1 AND tenant_id = $2`;

/**
 * A set whose vectors can be read, or 404 EMBEDDING_SET_NOT_FOUND / 409 EMBEDDINGS_NOT_READY: one
 * prepared statement on the raw pool, since every vector page and neighbour query asks.
 */
export async function readyEmbeddingSet(pool: pg.Pool, tenantId: string, id: string) {
  type Row = { id: string; status: string; count: number | null; dim: number | null; vectorsKey: string | null; rowsKey: string | null };
  const { rows } = await pool.query<Row>({ name: 'ready-embedding-set', text: READY_SET_SQL, values: [id, tenantId] });
  const set = rows[0];
  if (!set) throw errors.EMBEDDING_SET_NOT_FOUND(id);
  if (set.status !== 'succeeded' || !set.vectorsKey || !set.rowsKey || set.count === null || set.dim === null) {
    throw errors.EMBEDDINGS_NOT_READY(id, set.status);
  }
  return { id: set.id, vectorsKey: set.vectorsKey, rowsKey: set.rowsKey, count: set.count, dim: set.dim };
}

/** Sets of a job the caller already holds, newest first. */
export async function jobEmbeddingSets(db: Db, jobId: string) {
  const rows = await db.embeddingSet.findMany({ where: { jobId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  return rows.map(embeddingSetView);
}
