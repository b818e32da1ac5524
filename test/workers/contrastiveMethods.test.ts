// SimCLR, MoCo v2 and MoCo v3 through the API (real PostgreSQL + s3rver + an in-process wasm
// worker): a tiny job of each trains to success with its defaults echoed back, GraphQL names its
// method, then it serves embeddings and a linear probe; a field of one of these methods on another
// method is refused, naming its method; MoCo v3's frozen patch projection on a ResNet is refused.
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
    [
      'moco-v3',
      { predictorHiddenDim: 64 },
      { temperature: 0.2, keyMomentum: 0.99, projectorLayers: 2, freezePatchProjection: false, optimizer: 'adamw', baseLr: 0.00015, weightDecay: 0.1, warmupEpochs: 3, gradClip: null },
    ],
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
      const gql = await t.api().post('/graphql').set(t.env.auth).send({ query: 'query($id: ID!) { job(id: $id) { method } }', variables: { id: posted.id } }).expect(200);
      assert.equal(gql.body.data.job.method, method);

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
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ queueSize: 1024 }, 'queueSize', /belongs to method 'moco-v2'/],
      [{ method: 'simclr', keyMomentum: 0.9 }, 'keyMomentum', /belongs to method 'moco-v2' or 'moco-v3', not 'simclr'/],
      [{ method: 'moco-v2', predictor: 'none' }, 'predictor', /belongs to method 'simsiam'/],
      [{ method: 'simclr', optimizer: 'adam' }, 'optimizer', /allowed values/],
      [{ freezePatchProjection: true }, 'freezePatchProjection', /belongs to method 'moco-v3', not 'simsiam'/],
      [{ method: 'moco-v3', freezePatchProjection: true }, 'freezePatchProjection', /needs a ViT backbone: resnet-\S+ has no patch projection/],
      [{ method: 'moco-v3', gradClip: 0 }, 'gradClip', /must be > 0/],
      // a field several methods share names them all
      [{ projectorHiddenDim: 64 }, 'projectorHiddenDim', /belongs to method 'simclr' or 'moco-v2' or 'byol' or 'swav' or 'moco-v3', not 'simsiam'/],
    ];
    for (const [config, field, message] of cases) {
      const res = await t.api().post('/v1/jobs').set(t.env.auth).send({ datasetId: t.datasetId, config }).expect(400);
      assert.equal(res.body.error.code, 'INVALID_JOB_CONFIG');
      const details = res.body.error.details as Array<{ field: string; message: string }>;
      assert.deepEqual(details.map((d) => d.field), [`config.${field}`], JSON.stringify(config));
      assert.match(details[0].message, message);
    }
  });
});
