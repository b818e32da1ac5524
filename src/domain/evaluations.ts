// Linear-probe evaluations of a job's checkpoint: on a train and a test dataset, or on one labeled
// dataset split by a seeded shuffle. The row and its queue entry commit together; a worker fills in
// the results. Every image must carry a label (422 DATASET_UNLABELED otherwise).
import type { Db } from '../db/client.ts';
import { NOW_UTC, withTransaction } from '../db/transaction.ts';
import type { Evaluation } from '../generated/prisma/client.ts';
import { enqueue, QUEUES } from '../queue/boss.ts';
import type { Services } from '../services.ts';
import { modelCheckpoint, requireDataset, type TaskStatus } from './embeddings.ts';
import { errors } from '../errors/catalogue.ts';
import { newId } from './ids.ts';
import { jobTrainingConfig } from './trainingConfig.ts';
import { probeOverBudget } from '../probe/budget.ts';
import { BASELINES, type Baseline, rawPixelSpec } from '../probe/baselines.ts';
import { lockTenant, requireWithinQuota } from './quotas.ts';
import { datasetShape } from './dataDefaults.ts';

export { BASELINES, type Baseline };

export interface LinearProbeRequest {
  trainDatasetId?: string;
  testDatasetId?: string;
  datasetId?: string;
  splitFraction?: number;
  seed?: number;
  checkpoint?: string;
  baselines?: Baseline[];
  /** probe on a seeded subset of this many train images (the label budget); every train image when absent */
  trainLabels?: number;
}

/** What a worker needs, with every default filled (stored as the row's `request`). */
export interface ProbeSpec {
  trainDatasetId: string;
  /** null: split trainDatasetId by splitFraction */
  testDatasetId: string | null;
  splitFraction: number | null;
  seed: number;
  baselines: Baseline[];
  /** null: every train image; absent in rows written before label budgets */
  trainLabels?: number | null;
}

const DEFAULT_SPLIT_FRACTION = 0.8;

function probeSpec(request: LinearProbeRequest): ProbeSpec {
  const baselines = [...new Set(request.baselines ?? [])];
  const seed = request.seed ?? 0;
  const trainLabels = request.trainLabels ?? null;
  if (request.datasetId !== undefined) {
    if (request.trainDatasetId !== undefined || request.testDatasetId !== undefined) {
      throw errors.INVALID_PROBE_REQUEST('give either datasetId (+ splitFraction, seed) or trainDatasetId + testDatasetId, not both');
    }
    return { trainDatasetId: request.datasetId, testDatasetId: null, splitFraction: request.splitFraction ?? DEFAULT_SPLIT_FRACTION, seed, baselines, trainLabels };
  }
  if (request.trainDatasetId === undefined || request.testDatasetId === undefined) {
    throw errors.INVALID_PROBE_REQUEST('give trainDatasetId and testDatasetId, or datasetId with splitFraction and seed');
  }
  if (request.splitFraction !== undefined) throw errors.INVALID_PROBE_REQUEST('splitFraction applies only with datasetId');
  return { trainDatasetId: request.trainDatasetId, testDatasetId: request.testDatasetId, splitFraction: null, seed, baselines, trainLabels };
}

interface ProbeScores {
  top1: number;
  top5: number;
  knnTop1: number | null;
  /** the probe's accuracy on its own training rows, beside the test accuracy */
  trainTop1: number;
  /** the weight decay chosen on the validation split */
  weightDecay: number;
}

/** What a worker writes into `results`. */
export interface EvaluationResults extends ProbeScores {
  numClasses: number;
  trainCount: number;
  testCount: number;
  featureDim: number;
  baselines: Partial<Record<Baseline, ProbeScores & { featureDim: number }>>;
  recipe: Record<string, unknown>;
  timings: Record<string, number>;
}

export function evaluationView(evaluation: Evaluation) {
  const spec = evaluation.request as unknown as ProbeSpec;
  const results = evaluation.results as unknown as EvaluationResults | null;
  return {
    id: evaluation.id,
    status: evaluation.status as TaskStatus,
    jobId: evaluation.jobId,
    checkpointId: evaluation.checkpointId,
    trainDatasetId: evaluation.trainDatasetId,
    testDatasetId: evaluation.testDatasetId,
    splitFraction: spec.splitFraction,
    seed: spec.seed,
    trainLabels: spec.trainLabels ?? null,
    top1: results?.top1 ?? null,
    trainTop1: results?.trainTop1 ?? null,
    top5: results?.top5 ?? null,
    knnTop1: results?.knnTop1 ?? null,
    baselines: results?.baselines ?? null,
    details: results ? { trainTop1: results.trainTop1, numClasses: results.numClasses, trainCount: results.trainCount, testCount: results.testCount, featureDim: results.featureDim } : null,
    recipe: results?.recipe ?? null,
    timings: results?.timings ?? null,
    error: evaluation.error as { code: string; message: string } | null,
    createdAt: evaluation.createdAt,
    startedAt: evaluation.startedAt,
    finishedAt: evaluation.finishedAt,
  };
}

export async function requestLinearProbe(deps: Pick<Services, 'db' | 'pool' | 'boss' | 'config'>, tenantId: string, jobId: string, request: LinearProbeRequest) {
  const spec = probeSpec(request);
  const { job, checkpoint } = await modelCheckpoint(deps.db, tenantId, jobId, request.checkpoint);
  const train = await requireDataset(deps.db, tenantId, spec.trainDatasetId, { labeled: true });
  const test = spec.testDatasetId ? await requireDataset(deps.db, tenantId, spec.testDatasetId, { labeled: true }) : undefined;
  if (!test && train.imageCount < 2) throw errors.DATASET_TOO_SMALL('splitting needs at least two images');
  const images = train.imageCount + (test?.imageCount ?? 0);
  const shape = await datasetShape(deps.pool, tenantId, spec.trainDatasetId);
  const over = shape && probeOverBudget(jobTrainingConfig(job.config), images, spec.baselines, rawPixelSpec(shape), deps.config.probeMaxMatrixBytes);
  if (over) throw errors.PROBE_TOO_LARGE(over.message).with({ bytes: over.bytes, limitBytes: over.limitBytes });
  const id = newId('eval');
  await withTransaction(deps.pool, async (client) => {
    const quotas = await lockTenant(client, tenantId);
    await client.query(
      `INSERT INTO evaluations (id, tenant_id, job_id, checkpoint_id, train_dataset_id, test_dataset_id, request, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', ${NOW_UTC})`,
      [id, tenantId, jobId, checkpoint.id, spec.trainDatasetId, spec.testDatasetId, JSON.stringify(spec)],
    );
    await requireWithinQuota(client, tenantId, quotas, 'concurrentTasks');
    await enqueue(deps.boss, QUEUES.probe, { id }, client);
  });
  return getEvaluation(deps.db, tenantId, id);
}

export async function getEvaluation(db: Db, tenantId: string, id: string): Promise<Evaluation> {
  const evaluation = await db.evaluation.findFirst({ where: { id, tenantId } });
  if (!evaluation) throw errors.EVALUATION_NOT_FOUND(id);
  return evaluation;
}

/** Evaluations of a job the caller already holds, newest first. */
export async function jobEvaluations(db: Db, jobId: string) {
  const rows = await db.evaluation.findMany({ where: { jobId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  return rows.map(evaluationView);
}
