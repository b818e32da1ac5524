// ViT backbones through the API on real PostgreSQL + s3rver + pg-boss with an in-process wasm worker:
// a vit-micro job (4 px patches on 16 px images) of SimSiam and of SimCLR trains to success, exports
// its tfjs-layers model, and serves embeddings, /embed and a linear probe; an image size off the
// patch grid is refused at POST; a job too large for the engine's memory fails once with
// ENGINE_OUT_OF_MEMORY, saying what to lower, instead of being retried. The safetensors and ONNX exports of a ViT job are checked in
// test/export/jobExport.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestEnv } from '../helpers/harness.ts';
import { type WorkerEnv, workerEnv } from '../helpers/trainedJob.ts';

const TINY = { backbone: 'vit-micro', patchSize: 4, imageSize: 16, channels: 1, batchSize: 16, projectorDim: 32, epochs: 1 };
const JOBS: Array<[string, Record<string, unknown>]> = [
  ['simsiam', {}],
  ['simclr', { projectorHiddenDim: 64 }],
];

describe('ViT backbones through the API', () => {
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

  it('refuses an image size that is not a multiple of the patch size, and ViT fields on a ResNet', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...TINY, imageSize: 18 }, 'config.imageSize'],
      [{ backbone: 'resnet-tiny', patchSize: 4 }, 'config.patchSize'],
    ];
    for (const [config, field] of cases) {
      const res = await api().post('/v1/jobs').set(env.auth).send({ datasetId, config }).expect(400);
      assert.equal(res.body.error.code, 'INVALID_JOB_CONFIG');
      assert.deepEqual(res.body.error.details.map((d: { field: string }) => d.field), [field]);
    }
  });

  it('a job whose step cannot fit in the wasm heap fails once with ENGINE_OUT_OF_MEMORY and what to lower', async () => {
    // 1 px patches of 512 px images: the patch embedding of 16 images alone is 6 GiB
    const config = { ...TINY, backbone: 'vit-small', imageSize: 512, patchSize: 1 };
    const job = (await api().post('/v1/jobs').set(env.auth).send({ datasetId, config }).expect(202)).body;
    assert.equal(job.config.checkpointBlocks, true, 'recomputation is the default at this size');
    const done = await settle(`/v1/jobs/${job.id}`);
    assert.equal(done.status, 'failed');
    assert.equal(done.error.code, 'ENGINE_OUT_OF_MEMORY');
    assert.match(done.error.message, /ran out of memory.*wasm heap.*lower batchSize \(16\) or imageSize \(512\)/);
    assert.equal(done.attempts, 1, 'not retried');
  });

  for (const [method, fields] of JOBS) {
    it(`${method} on vit-micro: trains to success, exports its model, serves embeddings, /embed and a linear probe`, async () => {
      const job = (await api().post('/v1/jobs').set(env.auth).send({ datasetId, config: { ...TINY, method, ...fields } }).expect(202)).body;
      assert.deepEqual([job.config.patchSize, job.config.posEmbed, job.config.pool, job.config.checkpointBlocks], [4, 'sincos', 'cls', false], 'ViT defaults echoed');
      const done = await settle(`/v1/jobs/${job.id}`);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.equal(done.progress.step, 4);
      assert.ok(Number.isFinite(done.progress.loss));

      const modelJson = (await api().get(`/v1/jobs/${job.id}/model/model.json`).set(env.auth).expect(200)).body;
      assert.equal(modelJson.format, 'layers-model');
      assert.match(modelJson.userDefinedMetadata.description, /class token/);

      const set = (await api().post(`/v1/jobs/${job.id}/embeddings`).set(env.auth).send({ datasetId }).expect(202)).body;
      const embedded = await settle(`/v1/embeddings/${set.id}`);
      assert.equal(embedded.status, 'succeeded', JSON.stringify(embedded.error));
      assert.equal(embedded.count, 64);
      assert.equal(embedded.dim, 128, 'vit-micro width');

      const image = await env.services.db.image.findFirstOrThrow({ where: { datasetId } });
      const one = await api().post(`/v1/jobs/${job.id}/embed`).set(env.auth).attach('image', await env.services.blobs.get(image.s3Key), 'one.png').expect(200);
      assert.equal(one.body.items[0].vector.length, 128);
      assert.ok(one.body.items[0].vector.every(Number.isFinite));

      const probe = (await api().post(`/v1/jobs/${job.id}/linear-probe`).set(env.auth).send({ datasetId, splitFraction: 0.75, seed: 7 }).expect(202)).body;
      const probed = await settle(`/v1/evaluations/${probe.id}`);
      assert.equal(probed.status, 'succeeded', JSON.stringify(probed.error));
      assert.ok(probed.top1 >= 0 && probed.top1 <= 1);
    });
  }
});
