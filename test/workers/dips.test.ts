// Dip events: the detector on series with known dips, then a real run driven into a dip on purpose
// (an absurd learning rate reached at the end of a warm-up), seen in the metric series, the job's
// summary and GraphQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import request from 'supertest';
import { DipDetector, type DipEvent, type DipSettings } from '../../workers/training/dipDetector.ts';
import { type ImageBatch, Prng, Trainer, initBackend } from '../../src/engine/index.ts';
import { tinyConfig } from '../engine/helpers.ts';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { seedLabeledDataset } from '../helpers/images.ts';
import { waitFor } from '../helpers/waitFor.ts';
import { startWorker, type WorkerHandle } from '../../workers/worker.ts';

const SETTINGS: DipSettings = { dipWindowSteps: 10, dipSigmas: 6, dipKnnDrop: 0.05 };
const wobble = (i: number) => 0.01 * Math.sin(i);

describe('dip detector', () => {
  it('raises one event per dip, when the loss leaves its trend, and none on a steady run', () => {
    const d = new DipDetector(SETTINGS);
    const events = [];
    for (let step = 1; step <= 60; step++) {
      const spike = step >= 30 && step < 34;
      events.push(...d.observeStep(step, spike ? -0.2 : -0.9 + wobble(step), 0.06 + wobble(step) / 10));
    }
    assert.equal(events.length, 1);
    assert.equal(events[0].signal, 'loss');
    assert.equal(events[0].step, 30);
    assert.ok(Math.abs(events[0].trend + 0.9) < 0.02);
    assert.ok(events[0].depth! > 50, 'many standard deviations of a wobble');
    assert.deepEqual(d.dips.count, 1);

    const steady = new DipDetector(SETTINGS);
    for (let step = 1; step <= 200; step++) assert.deepEqual(steady.observeStep(step, -0.9 + wobble(step), 0.06), []);
  });

  it('sees a collapse-std drop and a kNN drop; the worst dip is ranked by depth over threshold', () => {
    // a flat std: its spread is floored at 1% of its level
    const d = new DipDetector(SETTINGS);
    for (let step = 1; step <= 20; step++) d.observeStep(step, 1, 0.06);
    const [std] = d.observeStep(21, 1, 0.02);
    assert.equal(std.signal, 'zStd');
    assert.ok(Math.abs(std.depth! - 0.04 / 0.0006) < 1e-6);
    assert.equal(d.observeKnn(21, 0.6), undefined);
    assert.equal(d.observeKnn(42, 0.58), undefined, 'within the threshold');
    const knn = d.observeKnn(63, 0.3);
    assert.equal(knn?.signal, 'knnTop1');
    assert.ok(Math.abs(knn!.depth! - 0.3) < 1e-9);
    assert.equal(d.dips.count, 2);
    assert.equal(d.dips.worst?.signal, 'zStd', '66.7 / 6 outranks 0.3 / 0.05');
  });

  it('counts a non-finite loss as the worst dip, and carries the summary over a resume', () => {
    const d = new DipDetector(SETTINGS);
    for (let step = 1; step <= 10; step++) d.observeStep(step, -0.9, 0.06);
    d.observeStep(11, 0.5, 0.06);
    d.observeStep(12, -0.9, 0.06);
    const [diverged] = d.observeStep(13, Number.NaN, 0.06);
    assert.equal(diverged.value, null);
    assert.equal(d.dips.worst?.step, 13);
    const resumed = new DipDetector(SETTINGS, JSON.parse(JSON.stringify(d.dips)));
    assert.equal(resumed.dips.count, 2);
  });
});

/** Learnable images: stripes, horizontal or vertical, at a random phase. */
function stripes(n: number, size: number, seed: number): ImageBatch {
  const rng = new Prng(seed);
  const data = new Uint8Array(n * size * size);
  for (let i = 0; i < n; i++) {
    const vertical = rng.int(0, 1) === 1;
    const phase = rng.int(0, 3);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data[(i * size + y) * size + x] = ((vertical ? x : y) + phase) % 4 < 2 ? 230 : 20;
  }
  return { data, shape: [n, size, size, 1] };
}

/** A trainer whose learning rate an experimenter can set absurdly high for a few steps. */
class SpikedTrainer extends Trainer {
  spikeLr: number | undefined;
  override get lr(): number {
    return this.spikeLr ?? super.lr;
  }
}

describe('a real run driven into a dip on purpose', () => {
  it('an absurd learning rate for three steps raises a dip event; the steady part raises none', async () => {
    await initBackend('wasm');
    // a learning run first (the loss falls well below 0), so that scrambling its weights shows
    const trainer = new SpikedTrainer(tinyConfig({ channels: 1, imageSize: 16, batchSize: 32, baseLr: 4, epochs: 100 }), 4);
    const images = Array.from({ length: 4 }, (_, i) => stripes(32, 16, i + 1));
    const detector = new DipDetector(SETTINGS);
    const events: DipEvent[] = [];
    const losses: number[] = [];
    for (let step = 1; step <= 45; step++) {
      trainer.spikeLr = step > 35 && step <= 38 ? 1000 : undefined;
      const r = trainer.step(images[step % 4]);
      losses.push(r.loss);
      events.push(...detector.observeStep(step, r.loss, r.zStd));
    }
    assert.ok(events.length >= 1, `no dip in ${losses.map((l) => l.toFixed(2))}`);
    assert.ok(events.every((e) => e.step > 35), `a dip before the spike: ${JSON.stringify(events)}`);
    assert.ok(events[0].step <= 39, 'seen within a step of the spike');
  });
});

describe('dip events through the API', () => {
  let env: TestEnv;
  let worker: WorkerHandle;
  let datasetId: string;

  before(async () => {
    env = await createTestEnv();
    const tenant = await env.services.db.tenant.findFirstOrThrow({ where: { name: 'tenant-a' } });
    datasetId = await seedLabeledDataset(env.services, tenant.id, 8, 20);
    worker = await startWorker(env.services, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { backend: 'wasm', reportIntervalMs: 1000 });
  });
  after(async () => {
    await worker?.stop();
    await env?.close();
  });

  it('records the dip on its metric point, in the job summary and in GraphQL', async () => {
    const api = () => request(env.app.server);
    // where events land, not what a dip is (the test above): a warm-up to an absurd lr makes this tiny
    // run's loss jumpy, and the threshold is low enough that its jumps count
    const config = {
      backbone: 'resnet-tiny', imageSize: 16, channels: 1, batchSize: 40, projectorDim: 32,
      epochs: 12, warmupEpochs: 10, baseLr: 10, weightDecay: 0, knnEveryEpochs: 0, dipWindowSteps: 5, dipSigmas: 1.5,
    };
    const posted = await api().post('/v1/jobs').set(env.auth).send({ datasetId, config });
    assert.equal(posted.status, 202, JSON.stringify(posted.body));
    const job = posted.body;
    assert.equal(job.config.dipKnnDrop, 0.05, 'defaults echoed');
    const done = await waitFor('job', async () => {
      const body = (await api().get(`/v1/jobs/${job.id}`).set(env.auth).expect(200)).body;
      return ['succeeded', 'failed', 'cancelled'].includes(body.status) ? body : undefined;
    }, 600_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));

    const points = (await api().get(`/v1/jobs/${job.id}/metrics`).set(env.auth).expect(200)).body.items as Array<{ step: number; values: Record<string, any> }>;
    const events = points.flatMap((p) => (p.values.events ?? []).map((e: Record<string, unknown>) => ({ ...e, pointStep: p.step })));
    assert.ok(events.length >= 1, `no dip among ${JSON.stringify(points.map((p) => [p.step, p.values.loss, p.values.zStd]))}`);
    for (const e of events) {
      assert.equal(e.type, 'dip');
      assert.equal(e.step, e.pointStep, 'an event sits on the point of the step it started');
      assert.ok(e.step > 5, 'no event before the trend window is full');
    }
    assert.equal(done.progress.dips.count, events.length);

    const gql = await api().post('/graphql').set(env.auth)
      .send({ query: `{ job(id: "${job.id}") { dips { count worst { signal step severity } } metrics(last: 100) { step values } } }` })
      .expect(200);
    assert.equal(gql.body.errors, undefined, JSON.stringify(gql.body.errors));
    assert.equal(gql.body.data.job.dips.count, events.length);
    assert.deepEqual(gql.body.data.job.dips.worst.step, done.progress.dips.worst.step);
    assert.equal(gql.body.data.job.metrics.flatMap((p: any) => p.values.events ?? []).length, events.length);
  });
});
