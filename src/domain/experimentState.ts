// The one writer of an experiment's state: a probe (linear + kNN) for each of its jobs once the job
// succeeds, and `finished` once every row is final. Called wherever a job or evaluation ends: by a
// worker after each one it ends, by the API after a cancel or delete that ends a job before any
// worker has it; idempotent, and serialised per experiment by its row lock.
import type { BaseLogger } from 'pino';
import type { Services } from '../services.ts';
import { NOW_UTC, withTransaction } from '../db/transaction.ts';
import { AppError } from '../errors/catalogue.ts';
import { requestLinearProbe } from './evaluations.ts';
import { experimentProbe } from './experiments.ts';

type Deps = Pick<Services, 'db' | 'pool' | 'boss' | 'events' | 'config'>;

interface RowState {
  position: number;
  job_id: string;
  evaluation_id: string | null;
  job_status: string | null;
  evaluation_status: string | null;
}

const FINISHED_JOB = new Set(['failed', 'cancelled']);
const FINISHED_TASK = new Set(['succeeded', 'failed']);
const isFinal = (r: RowState) => r.job_status === null || FINISHED_JOB.has(r.job_status) || (r.evaluation_status !== null && FINISHED_TASK.has(r.evaluation_status));

export async function advanceExperiment(deps: Deps, experimentId: string): Promise<void> {
  await withTransaction(deps.pool, async (client) => {
    const { rows: found } = await client.query<{ tenant_id: string; dataset_id: string; eval_dataset_id: string | null; status: string }>(
      'SELECT tenant_id, dataset_id, eval_dataset_id, status FROM experiments WHERE id = $1 FOR UPDATE',
      [experimentId],
    );
    const experiment = found[0];
    if (!experiment || experiment.status === 'finished') return;
    const { rows } = await client.query<RowState>(
      `SELECT r.position, r.job_id, r.evaluation_id, j.status AS job_status, e.status AS evaluation_status
         FROM experiment_rows r LEFT JOIN jobs j ON j.id = r.job_id LEFT JOIN evaluations e ON e.id = r.evaluation_id
        WHERE r.experiment_id = $1 ORDER BY r.position`,
      [experimentId],
    );
    const probe = experimentProbe(experiment.dataset_id, experiment.eval_dataset_id);
    for (const row of rows) {
      if (row.job_status !== 'succeeded' || row.evaluation_id) continue;
      try {
        const evaluation = await requestLinearProbe(deps, experiment.tenant_id, row.job_id, probe);
        await client.query('UPDATE experiment_rows SET evaluation_id = $3 WHERE experiment_id = $1 AND position = $2', [experimentId, row.position, evaluation.id]);
        row.evaluation_id = evaluation.id;
        row.evaluation_status = evaluation.status;
      } catch (err) {
        // over the task quota now: the next job or probe that ends tries again
        if (err instanceof AppError && err.statusCode === 429) continue;
        throw err;
      }
    }
    const finished = rows.every(isFinal);
    await client.query(
      `UPDATE experiments SET updated_at = ${NOW_UTC}${finished ? `, status = 'finished', finished_at = ${NOW_UTC}` : ''} WHERE id = $1`,
      [experimentId],
    );
    await deps.events.notify(experimentId, client);
  });
}

/** Advances every experiment that holds this job or evaluation. */
export async function advanceExperimentsOf(deps: Deps, ref: { jobId?: string; evaluationId?: string }): Promise<void> {
  const { rows } = await deps.pool.query<{ experiment_id: string }>(
    'SELECT DISTINCT experiment_id FROM experiment_rows WHERE job_id = $1 OR evaluation_id = $2',
    [ref.jobId ?? null, ref.evaluationId ?? null],
  );
  for (const { experiment_id } of rows) await advanceExperiment(deps, experiment_id);
}

/** After a job or evaluation ended: a failure is logged, never the caller's (the next one that ends retries it). */
export async function advanceExperiments(deps: Deps, log: Pick<BaseLogger, 'warn'>, ref: { jobId?: string; evaluationId?: string }): Promise<void> {
  try {
    await advanceExperimentsOf(deps, ref);
  } catch (err) {
    log.warn({ err, ...ref }, 'advancing experiments failed');
  }
}
