// Scenario: the S3 server stops for `outageSeconds` in the middle of a training job and comes back on
// the same endpoint. The job must finish. Figures: how far training got during the outage, how long
// after S3 came back the job wrote its next checkpoint, and how many attempts it took.
import { waitFor } from '../../test/helpers/waitFor.ts';
import { newestCheckpointStep, postJob, readJob, sleep, waitFinished, type Stack } from './stack.ts';

export interface S3OutageResult {
  outageSeconds: number;
  stepAtOutage: number;
  stepAtRecovery: number;
  /** S3 back → the next checkpoint stored */
  checkpointRecoverySeconds: number | null;
  jobStatus: string;
  attempts: number;
  error: unknown;
}

export async function s3Outage(stack: Stack, opts: { datasetId: string; config: object; outageSeconds: number }): Promise<S3OutageResult> {
  stack.startWorker();
  const job = await postJob(stack, opts.datasetId, opts.config);
  if (!job.id) throw new Error(`POST /v1/jobs answered ${job.status}`);
  const id = job.id;
  // past the first checkpoint, so the outage hits a job that has something to resume from
  await waitFor('a checkpoint', async () => (await newestCheckpointStep(stack, id)) > 0 || undefined, 600_000);
  const stepAtOutage = (await readJob(stack, id))?.step ?? 0;
  await stack.stopS3();
  await sleep(opts.outageSeconds * 1000);
  const checkpointBefore = await newestCheckpointStep(stack, id);
  await stack.startS3();
  const back = Date.now();
  const stepAtRecovery = (await readJob(stack, id))?.step ?? 0;
  const recovered = await waitFor(
    'a checkpoint after the outage',
    async () => {
      const j = await readJob(stack, id);
      if (j && j.status !== 'running' && j.status !== 'queued') return { seconds: null };
      return (await newestCheckpointStep(stack, id)) > checkpointBefore ? { seconds: (Date.now() - back) / 1000 } : undefined;
    },
    600_000,
    200,
  );
  const done = await waitFinished(stack, id, 900_000);
  return {
    outageSeconds: opts.outageSeconds,
    stepAtOutage,
    stepAtRecovery,
    checkpointRecoverySeconds: recovered.seconds,
    jobStatus: done.status,
    attempts: done.attempts,
    error: done.error,
  };
}
