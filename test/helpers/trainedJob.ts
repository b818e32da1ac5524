// Test environments with an in-process wasm worker: workerEnv() has a labeled dataset to train on;
// trainedEnv() adds a tiny job trained to success, shared by the embedding and evaluation API tests
// (training is the slow part: one epoch of 64 images).
import pino from 'pino';
import request from 'supertest';
import { createTestEnv, type TestEnv } from './harness.ts';
import { seedLabeledDataset } from './images.ts';
import { waitFor } from './waitFor.ts';
import { startWorker, type WorkerHandle } from '../../workers/worker.ts';

export const TINY = { backbone: 'resnet-tiny', imageSize: 16, channels: 1, batchSize: 16, projectorDim: 64, epochs: 1 };

export interface WorkerEnv {
  env: TestEnv;
  worker: WorkerHandle;
  tenantId: string;
  /** 64 labeled 16 px images in 4 classes */
  datasetId: string;
  api: () => ReturnType<typeof request>;
  /** polls a resource until its status is final (default: waitFor's timeout) */
  settle(path: string, timeoutMs?: number): Promise<{ status: string; [key: string]: unknown }>;
  close(): Promise<void>;
}

export interface TrainedEnv extends WorkerEnv {
  jobId: string;
}

/** `log`: the worker's logger (default: silent unless TEST_LOG_LEVEL is set) */
export async function workerEnv(log: pino.Logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })): Promise<WorkerEnv> {
  const env = await createTestEnv();
  const tenant = await env.services.db.tenant.findFirstOrThrow({ where: { name: 'tenant-a' } });
  const datasetId = await seedLabeledDataset(env.services, tenant.id, 4, 16);
  const worker = await startWorker(env.services, log, { backend: 'wasm', reportIntervalMs: 1000 });
  const api = () => request(env.app.server);
  const settle = (path: string, timeoutMs?: number) =>
    waitFor(path, async () => {
      const body = (await api().get(path).set(env.auth).expect(200)).body;
      return ['succeeded', 'failed', 'cancelled'].includes(body.status) ? body : undefined;
    }, timeoutMs);
  return {
    env,
    worker,
    tenantId: tenant.id,
    datasetId,
    api,
    settle,
    async close() {
      await worker.stop();
      await env.close();
    },
  };
}

export async function trainedEnv(): Promise<TrainedEnv> {
  const w = await workerEnv();
  const job = (await w.api().post('/v1/jobs').set(w.env.auth).send({ datasetId: w.datasetId, config: TINY }).expect(202)).body;
  const done = await w.settle(`/v1/jobs/${job.id}`);
  if (done.status !== 'succeeded') throw new Error(`training failed: ${JSON.stringify(done.error)}`);
  return { ...w, jobId: job.id };
}
