// A test environment with a tiny job trained to success by an in-process wasm worker, shared by the
// embedding and evaluation API tests (training is the slow part: one epoch of 64 images).
import pino from 'pino';
import request from 'supertest';
import { createTestEnv, type TestEnv } from './harness.ts';
import { seedLabeledDataset } from './images.ts';
import { waitFor } from './waitFor.ts';
import { startWorker, type WorkerHandle } from '../../workers/worker.ts';

export const TINY = { backbone: 'resnet-tiny', imageSize: 16, channels: 1, batchSize: 16, projectorDim: 64, epochs: 1 };

export interface TrainedEnv {
  env: TestEnv;
  worker: WorkerHandle;
  tenantId: string;
  datasetId: string;
  jobId: string;
  api: () => ReturnType<typeof request>;
  /** polls a resource until its status is final */
  settle(path: string): Promise<{ status: string; [key: string]: unknown }>;
  close(): Promise<void>;
}

export async function trainedEnv(): Promise<TrainedEnv> {
  const env = await createTestEnv();
  const tenant = await env.services.db.tenant.findFirstOrThrow({ where: { name: 'tenant-a' } });
  const datasetId = await seedLabeledDataset(env.services, tenant.id, 4, 16);
  const worker = await startWorker(env.services, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { backend: 'wasm', reportIntervalMs: 1000 });
  const api = () => request(env.app.server);
  const settle = (path: string) =>
    waitFor(path, async () => {
      const body = (await api().get(path).set(env.auth).expect(200)).body;
      return ['succeeded', 'failed', 'cancelled'].includes(body.status) ? body : undefined;
    });
  const job = (await api().post('/v1/jobs').set(env.auth).send({ datasetId, config: TINY }).expect(202)).body;
  const done = await settle(`/v1/jobs/${job.id}`);
  if (done.status !== 'succeeded') throw new Error(`training failed: ${JSON.stringify(done.error)}`);
  return {
    env,
    worker,
    tenantId: tenant.id,
    datasetId,
    jobId: job.id,
    api,
    settle,
    async close() {
      await worker.stop();
      await env.close();
    },
  };
}
