// Scenario: a load generator POSTs jobs while the API is SIGKILLed and started again. Every job that
// was answered 202 must exist (GET answers it) and complete. Requests cut off by the kill, or refused
// while no API listened, are counted, not retried: a client would retry them with an idempotency key.
import { postJob, readJob, sleep, waitFinished, type Stack } from './stack.ts';

export interface ApiKillResult {
  posted: number;
  answered202: number;
  /** requests with no answer (connection reset or refused) */
  unanswered: number;
  /** other statuses, by status */
  otherStatuses: Record<string, number>;
  apiRestartSeconds: number;
  acceptedFoundByGet: number;
  acceptedSucceeded: number;
  /** jobs in the table: 202s plus any committed just before the kill cut the answer off */
  jobsInDatabase: number;
  missing: string[];
  notSucceeded: Array<{ id: string; status: string }>;
}

export async function apiKill(
  stack: Stack,
  opts: { datasetId: string; config: object; clients?: number; pauseMs?: number; killAtMs?: number; afterRestartMs?: number; workers?: number },
): Promise<ApiKillResult> {
  // paced, so the jobs stay few enough for two workers to finish them in minutes
  const { clients = 2, pauseMs = 300, killAtMs = 3_000, afterRestartMs = 3_000, workers = 2 } = opts;
  for (let i = 0; i < workers; i++) stack.startWorker();
  const answers: Array<{ status: number; id?: string }> = [];
  let deadline = Infinity;
  const client = async () => {
    while (Date.now() < deadline) {
      answers.push(await postJob(stack, opts.datasetId, opts.config).catch(() => ({ status: 0 })));
      await sleep(pauseMs);
    }
  };
  const load = Promise.all(Array.from({ length: clients }, client));
  await sleep(killAtMs);
  await stack.killApi();
  const killedAt = Date.now();
  await stack.startApi();
  const apiRestartSeconds = (Date.now() - killedAt) / 1000;
  deadline = Date.now() + afterRestartMs;
  await load;

  const accepted = answers.filter((a) => a.status === 202).map((a) => a.id!);
  const found = await Promise.all(accepted.map((id) => stack.api(`/v1/jobs/${id}`).then((r) => r.status)));
  const missing = accepted.filter((_, i) => found[i] !== 200);
  const finished = await Promise.all(accepted.map(async (id) => ({ id, status: (await waitFinished(stack, id, 600_000).catch(() => readJob(stack, id)))?.status ?? 'missing' })));
  const otherStatuses: Record<string, number> = {};
  for (const a of answers) if (a.status !== 202 && a.status !== 0) otherStatuses[a.status] = (otherStatuses[a.status] ?? 0) + 1;
  const { rows } = await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
  return {
    posted: answers.length,
    answered202: accepted.length,
    unanswered: answers.filter((a) => a.status === 0).length,
    otherStatuses,
    apiRestartSeconds,
    acceptedFoundByGet: accepted.length - missing.length,
    acceptedSucceeded: finished.filter((f) => f.status === 'succeeded').length,
    jobsInDatabase: rows[0]!.n,
    missing,
    notSucceeded: finished.filter((f) => f.status !== 'succeeded'),
  };
}
