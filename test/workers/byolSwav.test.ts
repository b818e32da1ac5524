// BYOL and SwAV through the API on real PostgreSQL + s3rver + pg-boss with an in-process wasm worker:
// each trains a tiny job to success (defaults echoed back), then serves embeddings and a linear
// probe; a field of another method is refused with 400 naming the field and its method.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestEnv } from '../helpers/harness.ts';
import { type WorkerEnv, workerEnv } from '../helpers/trainedJob.ts';

const TINY = { backbone: 'resnet-tiny', imageSize: 16, channels: 1, batchSize: 16, projectorDim: 32, epochs: 2 };
const JOBS: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
  ['byol', { projectorHiddenDim: 64, predictorHiddenDim: 64 }, { tauBase: 0.99, baseLr: 0.12, weightDecay: 0.0005 }],
  // 4 steps per epoch: prototypes frozen in epoch 1, queue of 32 full (and used) from step 2
  ['swav', { projectorHiddenDim: 64, prototypes: 16, queueLength: 32, queueStartEpoch: 0, smallCrops: 2 }, { temperature: 0.1, sinkhornIterations: 3, sinkhornEpsilon: 0.05, smallCropSize: 8 }],
];

describe('byol and swav through the API', () => {
  let t: WorkerEnv;
  let env: TestEnv;
  let datasetId: string;
  const api = () => t.api();
  // training on a shared 2-core machine can take minutes
  const settle = async (path: string) => (await t.settle(path, 900_000)) as Record<string, any>;

  before(async () => {
    t = await workerEnv();
    ({ env, datasetId } = t);
  });
  after(async () => {
    await t?.close();
  });

  for (const [method, fields, echoed] of JOBS) {
    it(`${method}: trains to success, then serves embeddings and a linear probe`, async () => {
      const job = (await api().post('/v1/jobs').set(env.auth).send({ datasetId, config: { ...TINY, method, ...fields } }).expect(202)).body;
      for (const [field, value] of Object.entries(echoed)) assert.equal(job.config[field], value, `${field} echoed`);
      const done = await settle(`/v1/jobs/${job.id}`);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.equal(done.progress.step, 8);
      assert.ok(Number.isFinite(done.progress.loss));
      assert.ok(done.progress.knnTop1 >= 0 && done.progress.knnTop1 <= 1);

      const set = (await api().post(`/v1/jobs/${job.id}/embeddings`).set(env.auth).send({ datasetId }).expect(202)).body;
      const embedded = await settle(`/v1/embeddings/${set.id}`);
      assert.equal(embedded.status, 'succeeded', JSON.stringify(embedded.error));
      assert.equal(embedded.count, 64);
      assert.equal(embedded.dim, 64, 'resnet-tiny backbone features');

      const probe = (await api().post(`/v1/jobs/${job.id}/linear-probe`).set(env.auth).send({ datasetId, splitFraction: 0.75, seed: 7 }).expect(202)).body;
      const probed = await settle(`/v1/evaluations/${probe.id}`);
      assert.equal(probed.status, 'succeeded', JSON.stringify(probed.error));
      assert.ok(probed.top1 >= 0 && probed.top1 <= 1);
    });
  }

  it("refuses a field of another method with 400 naming the field and the method it belongs to", async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ queueLength: 64 }, 'queueLength', 'swav'],
      [{ method: 'byol', prototypes: 10 }, 'prototypes', 'swav'],
      [{ method: 'swav', tauBase: 0.9 }, 'tauBase', 'byol'],
      [{ method: 'byol', stopGradient: false }, 'stopGradient', 'simsiam'],
    ];
    for (const [config, field, owner] of cases) {
      const res = await api().post('/v1/jobs').set(env.auth).send({ datasetId, config }).expect(400);
      assert.equal(res.body.error.code, 'INVALID_JOB_CONFIG');
      const [detail] = res.body.error.details;
      assert.equal(detail.field, `config.${field}`);
      assert.match(detail.message, new RegExp(`belongs to method '${owner}'`), JSON.stringify(detail));
    }
  });
});
