// End to end on real PostgreSQL + s3rver + pg-boss: a queued job is trained by a worker, cancelled
// jobs stop (or never start).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { seedLabeledDataset } from '../helpers/images.ts';
import { image, makeTar } from '../ingest/fixtures.ts';
import { startWorker, type WorkerHandle } from '../../workers/worker.ts';
import { waitFor } from '../helpers/waitFor.ts';
import * as tf from '@tensorflow/tfjs';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { Trainer, evalView } from '../../src/engine/index.ts';
import { toUnitRange } from '../../src/engine/augment.ts';
import { decodeImage } from '../../src/data/decode.ts';

const TINY = { backbone: 'resnet-tiny', imageSize: 16, channels: 1, batchSize: 16, projectorDim: 64 };


describe('training worker', () => {
  let env: TestEnv;
  let datasetId: string;
  let worker: WorkerHandle | undefined;
  const api = () => request(env.app.server);
  const getJob = async (id: string) => (await api().get(`/v1/jobs/${id}`).set(env.auth).expect(200)).body;
  const ensureWorker = async () => {
    worker ??= await startWorker(env.services, pino({ level: 'silent' }), { backend: 'wasm', reportIntervalMs: 100 });
  };
  const postJob = async (config: object) => (await api().post('/v1/jobs').set(env.auth).send({ datasetId, config }).expect(202)).body;

  before(async () => {
    env = await createTestEnv();
    const tenant = await env.services.db.tenant.findFirstOrThrow({ where: { name: 'tenant-a' } });
    datasetId = await seedLabeledDataset(env.services, tenant.id, 4, 16);
  });
  after(async () => {
    await worker?.stop();
    await env.close();
  });

  it('the model of an unfinished job is not ready', async () => {
    const job = await postJob({ ...TINY, epochs: 1 });
    const res = await api().get(`/v1/jobs/${job.id}/model/model.json`).set(env.auth).expect(404);
    assert.equal(res.body.error.code, 'MODEL_NOT_READY');
    await api().post(`/v1/jobs/${job.id}/cancel`).set(env.auth).expect(200);
  });

  it('a job trains on the images its dataset had when the job was created, not on later uploads', async () => {
    const tenant = await env.services.db.tenant.findFirstOrThrow({ where: { name: 'tenant-a' } });
    const snapshotDataset = await seedLabeledDataset(env.services, tenant.id, 2, 16); // 32 images: 2 steps of 16
    const job = (await api().post('/v1/jobs').set(env.auth).send({ datasetId: snapshotDataset, config: { ...TINY, epochs: 1 } }).expect(202)).body;
    const later = await makeTar(await Promise.all(Array.from({ length: 32 }, async (_, i) => ({ name: `class-9/${i}.png`, data: await image(7000 + i) }))));
    const upload = await api().post(`/v1/datasets/${snapshotDataset}/archive`).set(env.auth).set('Content-Type', 'application/x-tar').send(later).expect(201);
    assert.equal(upload.body.added, 32);
    await ensureWorker();
    const done = await waitFor('snapshot job to finish', async () => {
      const j = await getJob(job.id);
      return ['succeeded', 'failed'].includes(j.status) ? j : undefined;
    });
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.progress.stepsPerEpoch, 2, '32 images at creation -> 2 steps; with the upload it would be 4');
    assert.equal(done.progress.totalSteps, 2);
  });

  it('a cancelled queued job never starts', async () => {
    const job = await postJob({ ...TINY, epochs: 1 });
    await api().post(`/v1/jobs/${job.id}/cancel`).set(env.auth).expect(200);
    await ensureWorker();
    // the worker is up and polling; give it time to (not) pick the job
    await new Promise((r) => setTimeout(r, 3000));
    const after = await getJob(job.id);
    assert.equal(after.status, 'cancelled');
    assert.equal(after.attempts, 0);
    assert.equal(after.startedAt, null);
  });

  it('trains a queued job to success: checkpoints in S3, metrics series, progress, live GraphQL events', async () => {
    const address = await env.app.listen({ port: 0, host: '127.0.0.1' });
    const job = await postJob({ ...TINY, epochs: 3 });
    const subscriber = createClient({ url: `${address.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: env.auth, retryAttempts: 0 });
    const events: Array<{ status: string; progress: { step?: number } | null }> = [];
    const subscription = (async () => {
      for await (const msg of subscriber.iterate<{ jobUpdated: { status: string; progress: { step?: number } | null } }>({
        query: 'subscription($id: ID!) { jobUpdated(id: $id) { status progress } }',
        variables: { id: job.id },
      })) {
        events.push(msg.data!.jobUpdated);
      }
    })();
    await ensureWorker();
    const done = await waitFor('job to finish', async () => {
      const j = await getJob(job.id);
      return ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
    });
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.attempts, 1);
    assert.equal(done.backend, 'wasm');
    assert.equal(done.progress.step, 12);
    assert.equal(done.progress.epoch, 3);
    assert.ok(Number.isFinite(done.progress.loss));
    assert.ok(done.progress.imagesPerSecond > 0);
    assert.ok(done.progress.dataWaitFraction >= 0 && done.progress.dataWaitFraction < 1);
    assert.equal(done.progress.healthyStd, 1 / 8);
    assert.ok(done.progress.knnTop1 >= 0 && done.progress.knnTop1 <= 1);
    assert.equal(done.progress.collapsed, false);

    // the subscription completes once the job is finished, after pushing its progress live
    await subscription;
    await subscriber.dispose();
    assert.equal(events.at(-1)?.status, 'succeeded');
    const liveSteps = events.filter((e) => e.status === 'running').map((e) => e.progress?.step ?? 0);
    assert.ok(new Set(liveSteps).size >= 3, `several progress events while running, got steps ${liveSteps}`);
    assert.deepEqual(liveSteps, [...liveSteps].sort((a, b) => a - b), 'progress only moves forward');

    const { items: checkpoints } = (await api().get(`/v1/jobs/${job.id}/checkpoints`).set(env.auth).expect(200)).body;
    assert.deepEqual(checkpoints.map((c: { epoch: number; isFinal: boolean }) => [c.epoch, c.isFinal]), [[1, false], [2, false], [3, true]]);
    const rows = await env.services.db.checkpoint.findMany({ where: { jobId: job.id } });
    for (const row of rows) {
      const head = await env.services.blobs.head(row.s3Key);
      assert.equal(head?.size, Number(row.sizeBytes), `checkpoint ${row.s3Key} in S3`);
    }

    const { items: metrics } = (await api().get(`/v1/jobs/${job.id}/metrics`).set(env.auth).expect(200)).body;
    const steps: number[] = metrics.map((m: { step: number }) => m.step);
    assert.deepEqual(steps, [...new Set(steps)].sort((a, b) => a - b), 'one point per step, ascending');
    const epochEnds = metrics.filter((m: { values: { epochEnd?: boolean } }) => m.values.epochEnd);
    assert.deepEqual(epochEnds.map((m: { step: number }) => m.step), [4, 8, 12]);
    for (const m of epochEnds) assert.equal(typeof m.values.knnTop1, 'number');

    const final = checkpoints.at(-1);
    const download = await api()
      .get(`/v1/jobs/${job.id}/checkpoints/${final.id}/download`)
      .set(env.auth)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    assert.equal(download.body.length, final.sizeBytes);
    assert.equal(download.body.subarray(0, 8).toString(), 'SIMSIAM1');
    await api().get(`/v1/jobs/${job.id}/checkpoints/${final.id}/download`).set(env.otherAuth).expect(404);
    await api().get(`/v1/jobs/${job.id}/checkpoints/ckpt_nope/download`).set(env.auth).expect(404);

    // the exported backbone loads with tf.loadLayersModel over HTTP and equals the engine's features
    const model = await tf.loadLayersModel(`${address}/v1/jobs/${job.id}/model/model.json`, {
      requestInit: { headers: env.auth },
    });
    const trainer = Trainer.restore(download.body);
    const images = await env.services.db.image.findMany({ where: { datasetId }, take: 4, orderBy: { id: 'asc' } });
    const pixels = new Uint8Array(images.length * 18 * 18);
    for (const [i, img] of images.entries()) {
      pixels.set(await decodeImage(await env.services.blobs.get(img.s3Key), { size: 18, channels: 1 }), i * 18 * 18);
    }
    const batch = { data: pixels, shape: [images.length, 18, 18, 1] as [number, number, number, number] };
    const expected = trainer.features(batch);
    const actual = tf.tidy(() => (model.predict(evalView(toUnitRange(batch), 16)) as tf.Tensor).dataSync());
    assert.equal(actual.length, expected.length);
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) < 1e-4, `feature ${i}`);
    trainer.dispose();
    model.dispose();
    const foreign = await api().get(`/v1/jobs/${job.id}/model/model.json`).set(env.otherAuth);
    assert.equal(foreign.status, 404);
  });

  it('cancelling a running job stops it within seconds', async () => {
    await ensureWorker();
    const job = await postJob({ ...TINY, epochs: 200 });
    await waitFor('job to run', async () => {
      const j = await getJob(job.id);
      return j.status === 'running' && j.progress?.step > 0 ? j : undefined;
    });
    const cancelledAt = Date.now();
    // 202: a running job is asked to stop; its worker confirms
    await api().post(`/v1/jobs/${job.id}/cancel`).set(env.auth).expect(202);
    const done = await waitFor('job to be cancelled', async () => {
      const j = await getJob(job.id);
      return j.status === 'cancelled' ? j : undefined;
    }, 15_000);
    assert.ok(Date.now() - cancelledAt < 10_000, 'stopped within seconds');
    assert.ok(done.progress.step < 200 * 4);
  });
});
