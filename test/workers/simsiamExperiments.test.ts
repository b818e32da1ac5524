// SimSiam's hypothesis experiments and BN table through the API (real PostgreSQL + s3rver + an
// in-process wasm worker): fixed-random and moving-average predictors, alternation every k steps
// and once per epoch, no BN and BN everywhere. Two tiny jobs cover all four, each trains to success
// with its config echoed back, then serves embeddings and a linear probe.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type WorkerEnv, workerEnv } from '../helpers/trainedJob.ts';

// 2 epochs of 4 steps: a snapshot refreshed every 2 steps is refreshed within the epoch, one refreshed
// per epoch is refreshed once
const TINY = { backbone: 'resnet-tiny', imageSize: 16, channels: 1, batchSize: 16, epochs: 2, projectorDim: 32 };
// training on a shared 2-core machine can take minutes
const SETTLE_MS = 900_000;

describe('SimSiam experiments through the API', () => {
  let t: WorkerEnv;

  before(async () => {
    t = await workerEnv();
  });
  after(async () => {
    await t?.close();
  });

  const jobs: Array<Record<string, unknown>> = [
    { predictor: 'fixed-random', alternation: { every: 2 }, bn: 'none' },
    { predictor: 'moving-average', movingAverageRate: 0.5, alternation: { every: 'epoch' }, bn: 'all' },
  ];
  for (const experiment of jobs) {
    it(`${JSON.stringify(experiment)}: trains to success, then serves embeddings and a linear probe`, async () => {
      const posted = (await t.api().post('/v1/jobs').set(t.env.auth).send({ datasetId: t.datasetId, config: { ...TINY, ...experiment } }).expect(202)).body;
      assert.equal(posted.config.method, 'simsiam');
      for (const [field, value] of Object.entries(experiment)) assert.deepEqual(posted.config[field], value, `echoed ${field}`);
      const done = await t.settle(`/v1/jobs/${posted.id}`, SETTLE_MS) as Record<string, any>;
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.equal(done.progress.epoch, 2);
      assert.ok(Number.isFinite(done.progress.loss));
      assert.deepEqual(done.config, posted.config);

      const set = (await t.api().post(`/v1/jobs/${posted.id}/embeddings`).set(t.env.auth).send({ datasetId: t.datasetId }).expect(202)).body;
      const embedded = await t.settle(`/v1/embeddings/${set.id}`, SETTLE_MS) as Record<string, any>;
      assert.equal(embedded.status, 'succeeded', JSON.stringify(embedded.error));
      assert.equal(embedded.count, 64);

      const probe = (await t.api().post(`/v1/jobs/${posted.id}/linear-probe`).set(t.env.auth).send({ datasetId: t.datasetId, splitFraction: 0.75, seed: 3 }).expect(202)).body;
      const probed = await t.settle(`/v1/evaluations/${probe.id}`, SETTLE_MS) as Record<string, any>;
      assert.equal(probed.status, 'succeeded', JSON.stringify(probed.error));
      assert.ok(probed.top1 >= 0 && probed.top1 <= 1, `top1 ${probed.top1}`);
      assert.ok(probed.knnTop1 >= 0 && probed.knnTop1 <= 1, `knnTop1 ${probed.knnTop1}`);
    });
  }
});
