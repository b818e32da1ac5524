// Scenario: the worker training a job is SIGKILLed `kills` times, a fresh worker started at once after
// each kill. Measured from outside: the takeover time (kill → the job's step moving again under the
// new worker), the steps each kill lost (step at the kill − the checkpoint the next attempt resumes
// from), and whether the final weights equal those of the same job trained without interruption.
import { decodeCheckpoint } from '../../src/engine/checkpoint.ts';
import { waitFor } from '../../test/helpers/waitFor.ts';
import { finalCheckpointBytes, newestCheckpointStep, postJob, readJob, sleep, waitFinished, type Stack } from './stack.ts';

export interface KillFigure {
  kill: number;
  stepAtKill: number;
  resumedFromStep: number;
  lostSteps: number;
  takeoverSeconds: number;
}

export interface WorkerKillsResult {
  kills: KillFigure[];
  stepsPerEpoch: number;
  totalSteps: number;
  /** the most steps one checkpoint interval spans (checkpointEveryEpochs: 1) */
  checkpointIntervalSteps: number;
  baselineSeconds: number;
  jobStatus: string;
  attempts: number;
  finalWeightsEqual: boolean;
  finalCheckpointBytesEqual: boolean;
  maxTakeoverSeconds: number;
  maxLostSteps: number;
}

/** Tensors by name, compared bit for bit (the header's metadata may differ in wall-clock fields). */
function sameTensors(a: Uint8Array, b: Uint8Array): boolean {
  const ta = decodeCheckpoint(a).tensors;
  const tb = new Map(decodeCheckpoint(b).tensors.map((t) => [t.name, t]));
  return (
    ta.length === tb.size &&
    ta.every((t) => {
      const u = tb.get(t.name);
      return u !== undefined && Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength));
    })
  );
}

export async function workerKills(
  stack: Stack,
  opts: { datasetId: string; images: number; config: { batchSize: number; epochs: number } & Record<string, unknown>; kills: number },
): Promise<WorkerKillsResult> {
  const stepsPerEpoch = Math.floor(opts.images / opts.config.batchSize);
  const totalSteps = stepsPerEpoch * opts.config.epochs;

  // the same job, uninterrupted: its final weights are the reference, its duration paces the kills
  const baselineWorker = stack.startWorker();
  const baseline = await postJob(stack, opts.datasetId, opts.config);
  if (!baseline.id) throw new Error(`POST /v1/jobs answered ${baseline.status}`);
  await waitFor('baseline training to start', async () => ((await readJob(stack, baseline.id!))?.step ?? 0) > 0 || undefined, 180_000);
  const trainingStart = Date.now();
  const baselineDone = await waitFinished(stack, baseline.id, 900_000);
  const baselineSeconds = (Date.now() - trainingStart) / 1000;
  if (baselineDone.status !== 'succeeded') throw new Error(`baseline job ${baselineDone.status}: ${JSON.stringify(baselineDone.error)}`);
  await stack.killWorker(baselineWorker);

  // each attempt trains this long before its kill, a share of the uninterrupted run so that the job
  // outlasts every kill however fast it trains (every attempt has taken a step before it is timed)
  const trainMs = Math.max(500, (baselineSeconds * 1000) / (opts.kills + 2));
  const job = await postJob(stack, opts.datasetId, opts.config);
  if (!job.id) throw new Error(`POST /v1/jobs answered ${job.status}`);
  const id = job.id;
  let worker = stack.startWorker();
  await waitFor('training to start', async () => ((await readJob(stack, id))?.step ?? 0) > 0 || undefined, 180_000, 50);

  const kills: KillFigure[] = [];
  for (let k = 1; k <= opts.kills; k++) {
    await sleep(trainMs);
    const before = await readJob(stack, id);
    if (!before || before.status !== 'running') break;
    await stack.killWorker(worker);
    const killedAt = Date.now();
    worker = stack.startWorker();
    const atKill = (await readJob(stack, id))!;
    const resumedFromStep = await newestCheckpointStep(stack, id);
    const stepAtKill = atKill.step ?? 0;
    const resumed = await waitFor(
      `training to resume after kill ${k}`,
      async () => {
        const now = await readJob(stack, id);
        if (!now) return undefined;
        if (now.status !== 'running') return now.status === 'succeeded' ? now : undefined;
        return now.attempts > atKill.attempts && now.step !== null && now.step !== stepAtKill ? now : undefined;
      },
      300_000,
      50,
    );
    kills.push({ kill: k, stepAtKill, resumedFromStep, lostSteps: stepAtKill - resumedFromStep, takeoverSeconds: (Date.now() - killedAt) / 1000 });
    if (resumed.status !== 'running') break;
  }

  const done = await waitFinished(stack, id, 900_000);
  const [reference, killed] = done.status === 'succeeded' ? await Promise.all([finalCheckpointBytes(stack, baseline.id), finalCheckpointBytes(stack, id)]) : [];
  return {
    kills,
    stepsPerEpoch,
    totalSteps,
    checkpointIntervalSteps: stepsPerEpoch,
    baselineSeconds,
    jobStatus: done.status,
    attempts: done.attempts,
    finalWeightsEqual: Boolean(reference && killed && sameTensors(reference, killed)),
    finalCheckpointBytesEqual: Boolean(reference && killed && reference.equals(killed)),
    maxTakeoverSeconds: Math.max(0, ...kills.map((k) => k.takeoverSeconds)),
    maxLostSteps: Math.max(0, ...kills.map((k) => k.lostSteps)),
  };
}
