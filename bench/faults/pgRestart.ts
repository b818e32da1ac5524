// Scenario: PostgreSQL restarts (a command given on the command line) while jobs are queued and
// training. The API must answer again, a job posted afterwards must be accepted, and every job must
// succeed exactly once: one final checkpoint, every step's metrics once, every queue message settled.
import { execSync } from 'node:child_process';
import { waitFor } from '../../test/helpers/waitFor.ts';
import { postJob, readJob, waitFinished, type Stack } from './stack.ts';

export interface PgRestartResult {
  restartCommandSeconds: number;
  /** restart command done → /readyz 200 */
  apiReadySeconds: number;
  /** restart command done → a job POST answered 202 */
  postAcceptedSeconds: number;
  jobs: Array<{ id: string; status: string; attempts: number; finalCheckpoints: number; metricSteps: number; duplicateSteps: number; queueMessages: string[] }>;
  allSucceededOnce: boolean;
}

export async function pgRestart(
  stack: Stack,
  opts: { datasetId: string; config: { epochs: number } & Record<string, unknown>; stepsPerEpoch: number; restartCommand: string; jobs?: number; workers?: number },
): Promise<PgRestartResult> {
  const { jobs = 4, workers = 2 } = opts;
  for (let i = 0; i < workers; i++) stack.startWorker();
  const ids: string[] = [];
  for (let i = 0; i < jobs; i++) {
    const posted = await postJob(stack, opts.datasetId, opts.config);
    if (!posted.id) throw new Error(`POST /v1/jobs answered ${posted.status}`);
    ids.push(posted.id);
  }
  await waitFor('a job training', async () => ((await readJob(stack, ids[0]!))?.step ?? 0) > 2 || undefined, 300_000);
  const t0 = Date.now();
  execSync(opts.restartCommand, { stdio: 'ignore' });
  const restarted = Date.now();
  await waitFor('/readyz', () => fetch(`${stack.apiUrl}/readyz`).then((r) => r.ok || undefined, () => undefined), 300_000, 200);
  const apiReadySeconds = (Date.now() - restarted) / 1000;
  const late = await waitFor('a job POST accepted', async () => (await postJob(stack, opts.datasetId, opts.config).catch(() => ({ status: 0, id: undefined }))).id, 300_000, 500);
  const postAcceptedSeconds = (Date.now() - restarted) / 1000;
  ids.push(late);

  const totalSteps = opts.stepsPerEpoch * opts.config.epochs;
  const figures = [];
  for (const id of ids) {
    const done = await waitFinished(stack, id, 900_000);
    const { rows: ck } = await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM checkpoints WHERE job_id = $1 AND is_final', [id]);
    const { rows: mp } = await stack.db.query<{ n: number; d: number }>('SELECT count(*)::int AS n, (count(*) - count(DISTINCT step))::int AS d FROM metric_points WHERE job_id = $1', [id]);
    const { rows: q } = await stack.db.query<{ state: string }>("SELECT state::text FROM pgboss.job WHERE name = 'train' AND data->>'id' = $1 ORDER BY created_on", [id]);
    figures.push({ id, status: done.status, attempts: done.attempts, finalCheckpoints: ck[0]!.n, metricSteps: mp[0]!.n, duplicateSteps: mp[0]!.d, queueMessages: q.map((r) => r.state) });
  }
  return {
    restartCommandSeconds: (restarted - t0) / 1000,
    apiReadySeconds,
    postAcceptedSeconds,
    jobs: figures,
    allSucceededOnce: figures.every(
      (f) => f.status === 'succeeded' && f.finalCheckpoints === 1 && f.metricSteps === totalSteps && f.duplicateSteps === 0 && f.queueMessages.every((s) => s === 'completed'),
    ),
  };
}
