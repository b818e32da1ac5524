import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { createDataset, markRunning, postJob, tenantIdOf } from '../helpers/jobFixtures.ts';
import { newId } from '../../src/domain/ids.ts';
import { startQueue } from '../../src/queue/boss.ts';

describe('job cancel, metrics and checkpoints', () => {
  let env: TestEnv;
  let datasetId: string;
  before(async () => {
    env = await createTestEnv();
    datasetId = await createDataset(env, await tenantIdOf(env, env.apiKey));
  });
  after(async () => env.close());

  const api = () => request(env.app.server);
  const queueState = async (jobId: string) => {
    const row = await env.services.db.job.findUniqueOrThrow({ where: { id: jobId } });
    return (await env.services.boss.getJobById('train', row.queueJobId!))?.state;
  };
  /** Runs `fn` and resolves once a notification for `jobId` has arrived. */
  const notifiedDuring = async <T>(jobId: string, fn: () => Promise<T>): Promise<T> => {
    let notified!: () => void;
    const arrived = new Promise<void>((resolve) => (notified = resolve));
    const unsubscribe = await env.services.events.subscribe(jobId, () => notified());
    try {
      const result = await fn();
      await arrived;
      return result;
    } finally {
      unsubscribe();
    }
  };

  describe('POST /v1/jobs/:id/cancel', () => {
    it('cancels a queued job on the spot, with its queue entry, and notifies', async () => {
      const job = await postJob(env, datasetId);
      const res = await notifiedDuring(job.id, () => api().post(`/v1/jobs/${job.id}/cancel`).set(env.auth).expect(200));
      assert.equal(res.body.status, 'cancelled');
      assert.ok(res.body.cancelRequestedAt && res.body.finishedAt);
      assert.equal(await queueState(job.id), 'cancelled');
    });

    it('asks a running job to stop: cancelRequestedAt set, the worker\'s job.signal aborts', async () => {
      const job = await postJob(env, datasetId);
      // a worker on its own queue connection, as on another machine
      const worker = await startQueue(env.databaseUrl, { supervise: false });
      try {
        let started!: () => void;
        const running = new Promise<void>((resolve) => (started = resolve));
        const aborted = new Promise<void>((resolve) => {
          void worker.work<{ id: string }>('train', { pollingIntervalSeconds: 0.5 }, async ([claimed]) => {
            if (claimed!.data.id !== job.id) return;
            await markRunning(env, job.id);
            started();
            await new Promise((stop) => claimed!.signal.addEventListener('abort', stop));
            resolve();
          });
        });
        await running;
        const res = await api().post(`/v1/jobs/${job.id}/cancel`).set(env.auth).expect(202);
        assert.equal(res.body.status, 'running');
        assert.ok(res.body.cancelRequestedAt);
        assert.equal(await queueState(job.id), 'cancelled');
        await aborted;
        // asking twice keeps the first request time
        const again = await api().post(`/v1/jobs/${job.id}/cancel`).set(env.auth).expect(202);
        assert.equal(again.body.cancelRequestedAt, res.body.cancelRequestedAt);
      } finally {
        await worker.stop({ graceful: false });
      }
    });

    it('refuses finished jobs with 409 JOB_FINISHED', async () => {
      const job = await postJob(env, datasetId);
      await env.services.db.job.update({ where: { id: job.id }, data: { status: 'succeeded', finishedAt: new Date() } });
      const res = await api().post(`/v1/jobs/${job.id}/cancel`).set(env.auth).expect(409);
      assert.equal(res.body.error.code, 'JOB_FINISHED');
      await api().post(`/v1/jobs/${job.id}/cancel`).set(env.auth).expect(409);
    });

    it('another tenant gets 404 and changes nothing', async () => {
      const job = await postJob(env, datasetId);
      const res = await api().post(`/v1/jobs/${job.id}/cancel`).set(env.otherAuth).expect(404);
      assert.equal(res.body.error.code, 'JOB_NOT_FOUND');
      assert.equal((await env.services.db.job.findUniqueOrThrow({ where: { id: job.id } })).status, 'queued');
      assert.equal(await queueState(job.id), 'created');
    });
  });

  describe('GET /v1/jobs/:id/metrics', () => {
    it('pages the series by step with `since`', async () => {
      const job = await postJob(env, datasetId);
      await env.services.db.metricPoint.createMany({
        data: Array.from({ length: 5 }, (_, i) => ({ jobId: job.id, epoch: Math.floor(i / 2), step: (i + 1) * 10, values: { loss: -i / 10 } })),
      });
      const first = await api().get(`/v1/jobs/${job.id}/metrics`).query({ limit: 3 }).set(env.auth).expect(200);
      assert.deepEqual(first.body.items.map((p: { step: number }) => p.step), [10, 20, 30]);
      assert.deepEqual(first.body.items[1].values, { loss: -0.1 });
      assert.equal(first.body.nextSince, 30);
      const rest = await api().get(`/v1/jobs/${job.id}/metrics`).query({ since: 30, limit: 3 }).set(env.auth).expect(200);
      assert.deepEqual(rest.body.items.map((p: { step: number }) => p.step), [40, 50]);
      assert.equal(rest.body.nextSince, null);
      const none = await api().get(`/v1/jobs/${job.id}/metrics`).query({ since: 50 }).set(env.auth).expect(200);
      assert.deepEqual(none.body, { items: [], nextSince: null });
      await api().get(`/v1/jobs/${job.id}/metrics`).set(env.otherAuth).expect(404);
    });
  });

  describe('GET /v1/jobs/:id/checkpoints', () => {
    it('lists checkpoints by epoch', async () => {
      const job = await postJob(env, datasetId);
      for (const [epoch, isFinal] of [[2, false], [1, false], [2, true]] as const) {
        await env.services.db.checkpoint.create({
          data: { id: newId('ckpt'), jobId: job.id, epoch, step: epoch * 100, s3Key: `ckpt/${job.id}/${epoch}`, sizeBytes: 1234n, isFinal, metrics: { loss: -0.5 } },
        });
      }
      const res = await api().get(`/v1/jobs/${job.id}/checkpoints`).set(env.auth).expect(200);
      assert.deepEqual(res.body.items.map((c: { epoch: number; isFinal: boolean }) => [c.epoch, c.isFinal]), [[1, false], [2, false], [2, true]]);
      assert.equal(res.body.items[0].sizeBytes, 1234);
      assert.equal(res.body.items[0].s3Key, undefined, 'storage keys stay private');
      const foreign = await api().get(`/v1/jobs/${job.id}/checkpoints`).set(env.otherAuth).expect(404);
      assert.equal(foreign.body.error.code, 'JOB_NOT_FOUND');
    });
  });
});
