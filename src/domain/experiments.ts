// Experiments: a comparison in one request. POST creates one job per run x seed, durably, in one
// transaction with the experiment (the same quota checks as POST /v1/jobs, over all of its jobs);
// src/domain/experimentState.ts then probes each job that succeeds. Reads build the comparison table
// from the jobs and evaluations as they are now, so it fills in live. Tenant-scoped throughout.
import type { Services } from '../services.ts';
import type { Experiment } from '../generated/prisma/client.ts';
import { NOW_UTC, withTransaction } from '../db/transaction.ts';
import { afterCursor, PAGE_ORDER, toPage } from './cursor.ts';
import { requireDataset } from './embeddings.ts';
import { errors } from '../errors/catalogue.ts';
import { newId } from './ids.ts';
import { insertJob, resolveJobConfig } from './jobs.ts';
import { lockTenant, requireWithinQuota } from './quotas.ts';
import { isFinalRow, summarise, tableRow } from './experimentTable.ts';
import type { LinearProbeRequest } from './evaluations.ts';
import type { TrainingConfig } from './trainingConfig.ts';

export interface ExperimentRun {
  name: string;
  config?: Record<string, unknown>;
}

export interface CreateExperimentRequest {
  datasetId: string;
  evalDatasetId?: string;
  runs: ExperimentRun[];
  /** one job per seed for every run (the seed overrides config.seed); absent: each run's own config.seed */
  seeds?: number[];
}

type Deps = Pick<Services, 'db' | 'pool' | 'boss' | 'events'>;

/** The probe every row gets: train on the dataset, test on evalDatasetId, or a seeded 80/20 split of the dataset. */
export function experimentProbe(datasetId: string, evalDatasetId: string | null): LinearProbeRequest {
  return evalDatasetId ? { trainDatasetId: datasetId, testDatasetId: evalDatasetId } : { datasetId, splitFraction: 0.8, seed: 0 };
}

export async function createExperiment(deps: Deps, tenantId: string, request: CreateExperimentRequest) {
  const names = request.runs.map((r) => r.name);
  if (new Set(names).size !== names.length) throw errors.INVALID_EXPERIMENT('run names must be unique').with([{ field: 'runs', message: 'names must be unique' }]);
  // the probes need labels: refused now rather than after the training
  await requireDataset(deps.db, tenantId, request.datasetId, { labeled: true });
  if (request.evalDatasetId) await requireDataset(deps.db, tenantId, request.evalDatasetId, { labeled: true });
  const seeds: Array<number | undefined> = request.seeds ?? [undefined];
  const planned: Array<{ name: string; seed: number; config: TrainingConfig }> = [];
  for (const [i, run] of request.runs.entries()) {
    for (const seed of seeds) {
      const config = seed === undefined ? (run.config ?? {}) : { ...run.config, seed };
      const { config: resolved } = await resolveJobConfig(deps.pool, tenantId, { datasetId: request.datasetId, config }, `runs.${i}.config`);
      planned.push({ name: run.name, seed: resolved.seed, config: resolved });
    }
  }
  const id = newId('exp');
  await withTransaction(deps.pool, async (client) => {
    const quotas = await lockTenant(client, tenantId);
    await requireWithinQuota(client, tenantId, quotas, 'trainingMinutesPerMonth');
    await client.query(
      `INSERT INTO experiments (id, tenant_id, dataset_id, eval_dataset_id, request, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 'running', ${NOW_UTC}, ${NOW_UTC})`,
      [id, tenantId, request.datasetId, request.evalDatasetId ?? null, JSON.stringify({ runs: request.runs, seeds: request.seeds ?? null })],
    );
    for (const [position, row] of planned.entries()) {
      const jobId = await insertJob(deps, client, tenantId, request.datasetId, row.config);
      await client.query('INSERT INTO experiment_rows (experiment_id, position, name, seed, job_id) VALUES ($1, $2, $3, $4, $5)', [id, position, row.name, row.seed, jobId]);
    }
    await requireWithinQuota(client, tenantId, quotas, 'activeJobs');
    await deps.events.notify(id, client);
  });
  return readExperiment(deps, tenantId, id);
}

async function findExperiment(deps: Pick<Services, 'db'>, tenantId: string, id: string) {
  const experiment = await deps.db.experiment.findFirst({ where: { id, tenantId }, include: { rows: { orderBy: { position: 'asc' } } } });
  if (!experiment) throw errors.EXPERIMENT_NOT_FOUND(id);
  return experiment;
}

/** The experiment with its comparison table: rows as the jobs and probes are now, and the per-run summary. */
export async function readExperiment(deps: Pick<Services, 'db'>, tenantId: string, id: string) {
  const experiment = await findExperiment(deps, tenantId, id);
  const jobIds = experiment.rows.map((r) => r.jobId);
  const evaluationIds = experiment.rows.flatMap((r) => (r.evaluationId ? [r.evaluationId] : []));
  const [jobs, evaluations] = await Promise.all([
    deps.db.job.findMany({ where: { id: { in: jobIds }, tenantId } }),
    deps.db.evaluation.findMany({ where: { id: { in: evaluationIds }, tenantId } }),
  ]);
  const jobById = new Map(jobs.map((j) => [j.id, j]));
  const evaluationById = new Map(evaluations.map((e) => [e.id, e]));
  const rows = experiment.rows.map((r) =>
    tableRow({ ...r, job: jobById.get(r.jobId) ?? null, evaluation: (r.evaluationId && evaluationById.get(r.evaluationId)) || null }),
  );
  const request = experiment.request as unknown as { runs: ExperimentRun[]; seeds: number[] | null };
  return {
    ...experimentSummary(experiment),
    runs: request.runs,
    seeds: request.seeds,
    probe: experimentProbe(experiment.datasetId, experiment.evalDatasetId),
    rows,
    summary: summarise(rows),
    // live: every row final, even before the worker's bookkeeping caught up
    finishedRows: rows.filter(isFinalRow).length,
  };
}

export type ExperimentView = Awaited<ReturnType<typeof readExperiment>>;

function experimentSummary(e: Experiment) {
  return {
    id: e.id,
    status: e.status as 'running' | 'finished',
    datasetId: e.datasetId,
    evalDatasetId: e.evalDatasetId,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    finishedAt: e.finishedAt,
  };
}

/** Newest first; the table itself is read per experiment. */
export async function listExperiments(deps: Pick<Services, 'db'>, tenantId: string, page: { limit: number; cursor?: string }) {
  const rows = await deps.db.experiment.findMany({ where: { tenantId, ...afterCursor(page.cursor) }, orderBy: PAGE_ORDER, take: page.limit + 1 });
  const { items, nextCursor } = toPage(rows, page.limit);
  return { items: items.map(experimentSummary), nextCursor };
}

/** Removes the experiment and its table; its jobs and evaluations stay (DELETE /v1/jobs/:id removes those). */
export async function deleteExperiment(deps: Pick<Services, 'pool'>, tenantId: string, id: string) {
  const { rowCount } = await deps.pool.query('DELETE FROM experiments WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
  if (!rowCount) throw errors.EXPERIMENT_NOT_FOUND(id);
}
