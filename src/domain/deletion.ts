// Deletes that free storage: a job (cancelled first) with its checkpoints, metrics, embedding sets and
// evaluations, rows and S3 objects; one embedding set or evaluation; a whole tenant. Rows go in one
// transaction, then the objects; a task still running is refused (409), since its worker would write
// objects after we deleted them.
import type pg from 'pg';
import { withTransaction } from '../db/transaction.ts';
import type { Services } from '../services.ts';
import { collectImageBlobs, markDatasetBlobs } from '../storage/blobGc.ts';
import { keys } from '../storage/keys.ts';
import { AppError, errors } from '../errors/catalogue.ts';
import { cancelJob, isFinished } from './jobs.ts';

type Deps = Pick<Services, 'db' | 'pool' | 'boss' | 'events' | 'blobs'>;

export interface DeleteOptions {
  /** how long to wait for a running job's worker to stop after cancelling it */
  stopWaitMs?: number;
}

const DEFAULT_STOP_WAIT_MS = 15_000;
const POLL_MS = 250;

async function waitUntilStopped(deps: Deps, jobIds: string[], waitMs: number): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { rows } = await deps.pool.query<{ id: string }>(`SELECT id FROM jobs WHERE id = ANY($1::text[]) AND status IN ('queued', 'running')`, [jobIds]);
    if (!rows.length || Date.now() >= deadline) return rows.map((r) => r.id);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Cancels the tenant's unfinished jobs among `jobIds` and waits for their workers; throws 409 if one keeps running. */
async function stopJobs(deps: Deps, tenantId: string, jobIds: string[], waitMs: number) {
  for (const id of jobIds) {
    try {
      await cancelJob(deps, tenantId, id);
    } catch (err) {
      // finished in the meantime
      if (!(err instanceof AppError && err.code === errors.JOB_FINISHED.code)) throw err;
    }
  }
  const running = await waitUntilStopped(deps, jobIds, waitMs);
  if (running.length) {
    throw errors.JOB_STILL_RUNNING(`cancellation was requested but ${running.length} job(s) have not stopped yet`).with({ jobIds: running });
  }
}

/** Inside the deleting transaction: refuses when one of the jobs' embedding sets is being computed. */
async function refuseRunningTasks(client: pg.PoolClient, where: string, values: unknown[]) {
  const { rows } = await client.query<{ id: string }>(`SELECT id FROM embedding_sets WHERE status = 'running' AND ${where} FOR UPDATE`, values);
  if (rows.length) {
    throw errors.EMBEDDINGS_RUNNING(rows.map((r) => r.id).join(', ')).with({
      embeddingSetIds: rows.map((r) => r.id),
    });
  }
}

/** Keeps the deleted jobs' training time in the month's usage, so deleting does not refund the quota. */
async function keepTrainingTime(client: pg.PoolClient, where: string, values: unknown[]) {
  await client.query(
    `INSERT INTO training_usage (tenant_id, month, seconds)
     SELECT tenant_id, date_trunc('month', now() AT TIME ZONE 'UTC')::date,
            sum(extract(epoch FROM COALESCE(finished_at, now() AT TIME ZONE 'UTC')
                               - greatest(started_at, date_trunc('month', now() AT TIME ZONE 'UTC'))))
     FROM jobs WHERE ${where} AND started_at IS NOT NULL
       AND (finished_at IS NULL OR finished_at >= date_trunc('month', now() AT TIME ZONE 'UTC'))
     GROUP BY tenant_id
     ON CONFLICT (tenant_id, month) DO UPDATE SET seconds = training_usage.seconds + EXCLUDED.seconds`,
    values,
  );
}

async function deletePrefixes(deps: Deps, prefixes: string[]) {
  for (const prefix of prefixes) await deps.blobs.deletePrefix(prefix);
}

export async function deleteJob(deps: Deps, tenantId: string, jobId: string, opts: DeleteOptions = {}): Promise<void> {
  const job = await deps.db.job.findFirst({ where: { id: jobId, tenantId }, select: { status: true } });
  if (!job) throw errors.JOB_NOT_FOUND(jobId);
  if (!isFinished(job.status)) await stopJobs(deps, tenantId, [jobId], opts.stopWaitMs ?? DEFAULT_STOP_WAIT_MS);
  const prefixes = await withTransaction(deps.pool, async (client) => {
    const { rows } = await client.query<{ status: string }>('SELECT status FROM jobs WHERE id = $1 AND tenant_id = $2 FOR UPDATE', [jobId, tenantId]);
    if (!rows[0]) throw errors.JOB_NOT_FOUND(jobId);
    // requeued between the wait and this lock (a retry); the next delete cancels it again
    if (!isFinished(rows[0].status)) throw errors.JOB_STILL_RUNNING(`job ${jobId} is ${rows[0].status}`);
    await refuseRunningTasks(client, 'job_id = $1', [jobId]);
    const sets = await client.query<{ id: string }>('SELECT id FROM embedding_sets WHERE job_id = $1', [jobId]);
    await keepTrainingTime(client, 'id = $1', [jobId]);
    // checkpoints, metric points, embedding sets and evaluations go with it (ON DELETE CASCADE)
    await client.query('DELETE FROM jobs WHERE id = $1', [jobId]);
    return [keys.jobPrefix(jobId), ...sets.rows.map((s) => keys.embeddingPrefix(s.id))];
  });
  deps.events.changedHere(jobId);
  await deletePrefixes(deps, prefixes);
}

export async function deleteEmbeddingSet(deps: Deps, tenantId: string, setId: string): Promise<void> {
  await withTransaction(deps.pool, async (client) => {
    const { rows } = await client.query<{ status: string }>('SELECT status FROM embedding_sets WHERE id = $1 AND tenant_id = $2 FOR UPDATE', [setId, tenantId]);
    if (!rows[0]) throw errors.EMBEDDING_SET_NOT_FOUND(setId);
    if (rows[0].status === 'running') throw errors.EMBEDDINGS_RUNNING(setId);
    // a queued set's queue entry stays; the worker finds no row and drops it
    await client.query('DELETE FROM embedding_sets WHERE id = $1', [setId]);
  });
  await deletePrefixes(deps, [keys.embeddingPrefix(setId)]);
}

/** An evaluation keeps nothing in S3; a running one's worker would find its row gone and write nothing. */
export async function deleteEvaluation(deps: Deps, tenantId: string, evaluationId: string): Promise<void> {
  const { rowCount } = await deps.pool.query('DELETE FROM evaluations WHERE id = $1 AND tenant_id = $2', [evaluationId, tenantId]);
  if (!rowCount) throw errors.EVALUATION_NOT_FOUND(evaluationId);
}

/** The tenant and everything it owns: jobs cancelled first, then rows, objects and unshared image blobs. */
export async function deleteTenant(deps: Deps, tenantId: string, opts: DeleteOptions = {}): Promise<void> {
  const tenant = await deps.db.tenant.findUnique({ where: { id: tenantId }, select: { id: true } });
  if (!tenant) throw errors.TENANT_NOT_FOUND(tenantId);
  const active = await deps.db.job.findMany({ where: { tenantId, status: { in: ['queued', 'running'] } }, select: { id: true } });
  if (active.length) await stopJobs(deps, tenantId, active.map((j) => j.id), opts.stopWaitMs ?? DEFAULT_STOP_WAIT_MS);
  const prefixes = await withTransaction(deps.pool, async (client) => {
    const locked = await client.query('SELECT id FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
    if (!locked.rowCount) throw errors.TENANT_NOT_FOUND(tenantId);
    const stillActive = await client.query<{ id: string }>(`SELECT id FROM jobs WHERE tenant_id = $1 AND status IN ('queued', 'running') FOR UPDATE`, [tenantId]);
    if (stillActive.rowCount) throw errors.JOB_STILL_RUNNING(`${stillActive.rowCount} job(s) of tenant ${tenantId} are active again`);
    await refuseRunningTasks(client, 'tenant_id = $1', [tenantId]);
    const jobs = await client.query<{ id: string }>('SELECT id FROM jobs WHERE tenant_id = $1', [tenantId]);
    const sets = await client.query<{ id: string }>('SELECT id FROM embedding_sets WHERE tenant_id = $1', [tenantId]);
    const datasets = await client.query<{ id: string }>('SELECT id FROM datasets WHERE tenant_id = $1', [tenantId]);
    await markDatasetBlobs(client, datasets.rows.map((d) => d.id));
    // keys, datasets (images, uploads), jobs (and all below them) go with it (ON DELETE CASCADE)
    await client.query('DELETE FROM tenants WHERE id = $1', [tenantId]);
    return [
      ...jobs.rows.map((j) => keys.jobPrefix(j.id)),
      ...sets.rows.map((s) => keys.embeddingPrefix(s.id)),
      ...datasets.rows.map((d) => keys.datasetUploadsPrefix(d.id)),
    ];
  });
  deps.events.changedHere('*');
  await deletePrefixes(deps, prefixes);
  await collectImageBlobs(deps);
}
