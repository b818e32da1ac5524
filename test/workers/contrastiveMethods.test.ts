// SimCLR and MoCo v2 through the API (real PostgreSQL + s3rver + an in-process wasm worker): a tiny
// job of each trains to success with its defaults echoed back, then serves embeddings and a linear
// probe; a field of one of these methods on another method is refused, naming its method.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type TrainedEnv, trainedEnv } from '../helpers/trainedJob.ts';

const TINY = { backbone: 'resnet-tiny', imageSize: 16, channels: 1, batchSize: 16, epochs: 1, projectorHiddenDim: 64, projectorDim: 32 };

describe('contrastive methods through the API', () => {
  let t: TrainedEnv;

  before(async () => {
    t = await trainedEnv();
  });
  after(async () => {
    await t?.close();
  });

  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['simclr', {}, { temperature: 0.5, optimizer: 'lars', baseLr: 1, warmupEpochs: 10 }],
    ['moco-v2', { queueSize: 64, keyBnSplits: 2 }, { temperature: 0.2, keyMomentum: 0.99, symmetric: false, optimizer: 'sgd', baseLr: 0.03, weightDecay: 0.0005 }],
  ];
  for (const [method, extra, defaults] of cases) {
    it(`${method}: trains to success, then serves embeddings and a linear probe`, async () => {
      const posted = (await t.api().post('/v1/jobs').set(t.env.auth).send({ datasetId: t.datasetId, config: { ...TINY, method, ...extra } }).expect(202)).body;
      for (const [field, value] of Object.entries(defaults)) assert.deepEqual(posted.config[field], value, `default ${field}`);
      const done = await t.settle(`/v1/jobs/${posted.id}`) as Record<string, any>;
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.equal(done.progress.epoch, 1);
      assert.ok(Number.isFinite(done.progress.loss));
      assert.ok(Math.abs(done.progress.healthyStd - 1 / Math.sqrt(32)) < 1e-12, 'healthy std of the 32-d projection');

      const set = (await t.api().post(`/v1/jobs/${posted.id}/embeddings`).set(t.env.auth).send({ datasetId: t.datasetId }).expect(202)).body;
      const embedded = await t.settle(`/v1/embeddings/${set.id}`) as Record<string, any>;
      assert.equal(embedded.status, 'succeeded', JSON.stringify(embedded.error));
      assert.equal(embedded.count, 64);

      const probe = (await t.api().post(`/v1/jobs/${posted.id}/linear-probe`).set(t.env.auth).send({ datasetId: t.datasetId, splitFraction: 0.75, seed: 3 }).expect(202)).body;
      const probed = await t.settle(`/v1/evaluations/${probe.id}`) as Record<string, any>;
      assert.equal(probed.status, 'succeeded', JSON.stringify(probed.error));
      assert.ok(probed.top1 >= 0 && probed.top1 <= 1);
    });
  }

  it("refuses another method's field, naming the field and the method it belongs to", async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ queueSize: 1024 }, 'queueSize', "method 'moco-v2'"],
      [{ method: 'simclr', keyMomentum: 0.9 }, 'keyMomentum', "method 'moco-v2'"],
      [{ method: 'moco-v2', predictor: 'none' }, 'predictor', "method 'simsiam'"],
      [{ method: 'simclr', optimizer: 'adam' }, 'optimizer', ''],
      // a field several methods share names them all
      [{ projectorHiddenDim: 64 }, 'projectorHiddenDim', "methods 'simclr', 'moco-v2', 'byol'.*'swav'"],
    ];
    for (const [config, field, owner] of cases) {
      const res = await t.api().post('/v1/jobs').set(t.env.auth).send({ datasetId: t.datasetId, config }).expect(400);
      assert.equal(res.body.error.code, 'INVALID_JOB_CONFIG');
      const details = res.body.error.details as Array<{ field: string; message: string }>;
      assert.deepEqual(details.map((d) => d.field), [`config.${field}`], JSON.stringify(config));
      if (owner) assert.match(details[0].message, new RegExp(`belongs to ${owner}`));
    }
  });
});
