// End to end: a tiny ResNet job and a tiny ViT job trained by a real worker, exported over HTTP.
// PyTorch (strict load of the safetensors file: torchvision's names, or timm's for the ViT) and
// onnxruntime (the ONNX file) must reproduce the service's own embeddings (POST /v1/jobs/:id/embed)
// of the same images to 1e-4, from the same normalised input.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { Response } from 'superagent';
import { evalView, initBackend } from '../../src/engine/index.ts';
import { toUnitRange } from '../../src/engine/augment.ts';
import { decodeImage, decodeSpecOf } from '../../src/data/decode.ts';
import { jobTrainingConfig } from '../../src/domain/trainingConfig.ts';
import { keys } from '../../src/storage/keys.ts';
import { patternPng } from '../helpers/images.ts';
import { trainedEnv, type TrainedEnv } from '../helpers/trainedJob.ts';
import { toNchw, torchFeatures, torchTestOptions } from './torch.ts';
import { maxAbsDiff } from '../engine/helpers.ts';
import { onnxFeatures } from './onnxRuntime.ts';
import { checkpointStore } from '../../workers/training/checkpointStore.ts';
import { exportKeys } from '../../src/export/backboneExport.ts';

const binary = (res: Response, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

// learned positions and mean pooling: the ViT tests of test/workers cover the defaults
const VIT = { backbone: 'vit-micro', patchSize: 4, posEmbed: 'learned', pool: 'mean', imageSize: 16, channels: 1, batchSize: 16, projectorDim: 32, epochs: 1 };

interface ServedJob {
  jobId: string;
  /** the service's /embed vectors of the test images, [images, dim] flat */
  served: Float32Array;
  /** the same images as the service's eval input, normalised NCHW */
  input: { data: Float32Array; shape: number[] };
}

describe('GET /v1/jobs/:id/export', () => {
  let t: TrainedEnv;
  const pngs: Buffer[] = [];
  const jobs: Record<string, ServedJob> = {};

  const download = async (query: string, jobId = t.jobId) => {
    const res = await t.api().get(`/v1/jobs/${jobId}/export${query}`).set(t.env.auth).buffer(true).parse(binary).expect(200);
    return { bytes: new Uint8Array(res.body as Buffer), headers: res.headers };
  };
  const safetensorsHeader = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))).toString());

  const served = async (jobId: string): Promise<ServedJob> => {
    let req = t.api().post(`/v1/jobs/${jobId}/embed`).set(t.env.auth);
    for (const [i, png] of pngs.entries()) req = req.attach('image', png, `${i}.png`);
    const res = await req.expect(200);
    // the service's eval input: the training decode, then the engine's centre view and normalisation
    const config = jobTrainingConfig((await t.env.services.db.job.findUniqueOrThrow({ where: { id: jobId } })).config);
    const spec = decodeSpecOf(config);
    const pixels = await Promise.all(pngs.map((png) => decodeImage(png, spec)));
    const batch = { data: Uint8Array.from(pixels.flatMap((p) => [...p])), shape: [pngs.length, spec.size, spec.size, spec.channels] as [number, number, number, number] };
    return {
      jobId,
      served: Float32Array.from((res.body.items as Array<{ vector: number[] }>).flatMap((item) => item.vector)),
      input: tf.tidy(() => toNchw(evalView(toUnitRange(batch), config.imageSize))),
    };
  };

  before(async () => {
    await initBackend('cpu');
    t = await trainedEnv();
    for (let i = 0; i < 3; i++) pngs.push(await patternPng(i, 100 + i));
    const vit = (await t.api().post('/v1/jobs').set(t.env.auth).send({ datasetId: t.datasetId, config: VIT }).expect(202)).body;
    // training a ViT on a shared 2-core machine can take minutes
    const done = await t.settle(`/v1/jobs/${vit.id}`, 900_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    jobs['resnet-tiny'] = await served(t.jobId);
    jobs['vit-micro'] = await served(vit.id);
  });
  after(async () => t.close());

  for (const [backbone, dim] of [['resnet-tiny', 64], ['vit-micro', 128]] as const) {
    it(`${backbone} safetensors: loads strictly in PyTorch and reproduces the service embeddings to 1e-4`, torchTestOptions, async (ctx) => {
      const { jobId, served, input } = jobs[backbone];
      const { bytes, headers } = await download('?format=safetensors', jobId);
      assert.match(headers['content-disposition'], /\.safetensors"$/);
      const { features, report } = await torchFeatures(bytes, input);
      assert.equal(report.backbone, backbone);
      assert.deepEqual(report.shape, [3, dim]);
      const diff = maxAbsDiff(features, served);
      ctx.diagnostic(`max |torch - service| = ${diff}`);
      assert.ok(diff < 1e-4, `max |torch - service| = ${diff}`);
      assert.ok(Math.max(...served.map(Math.abs)) > 1e-2, 'embeddings are not all ~0 (the comparison means something)');
    });

    it(`${backbone} onnx: onnxruntime reproduces the service embeddings to 1e-4`, async (ctx) => {
      const { jobId, served, input } = jobs[backbone];
      const { bytes } = await download('?format=onnx', jobId);
      const { features, dims } = await onnxFeatures(bytes, input);
      assert.deepEqual(dims, [3, dim]);
      const diff = maxAbsDiff(features, served);
      ctx.diagnostic(`max |onnx - service| = ${diff}`);
      assert.ok(diff < 1e-4, `max |onnx - service| = ${diff}`);
    });
  }

  it("a ViT's safetensors file has timm's layouts and says how to build the network", async () => {
    const header = safetensorsHeader((await download('?format=safetensors', jobs['vit-micro'].jobId)).bytes);
    assert.deepEqual(header['patch_embed.proj.weight'].shape, [128, 1, 4, 4], 'OIHW');
    assert.deepEqual(header['blocks.5.attn.qkv.weight'].shape, [384, 128], '[out, in]');
    assert.deepEqual(header['pos_embed'].shape, [1, 17, 128]);
    assert.equal(Object.keys(header).some((k) => k.includes('num_batches_tracked') || k.startsWith('blocks.6.')), false);
    const { dim, depth, heads, mlp_ratio, patch_size, pos_embed, pool, image_size } = header.__metadata__;
    assert.deepEqual({ dim, depth, heads, mlp_ratio, patch_size, pos_embed, pool, image_size }, { dim: '128', depth: '6', heads: '4', mlp_ratio: '4', patch_size: '4', pos_embed: 'learned', pool: 'mean', image_size: '16' });
  });

  it('is built once per checkpoint and format, then served from S3', async () => {
    const first = await download('');
    const checkpointId = first.headers['x-checkpoint-id'];
    assert.ok(await t.env.services.blobs.head(keys.backboneExport(t.jobId, checkpointId, 'safetensors')), 'default format is safetensors, stored in S3');
    const again = await download(`?format=safetensors&checkpoint=${checkpointId}`);
    assert.deepEqual(again.bytes, first.bytes);
    const header = safetensorsHeader(first.bytes);
    assert.equal(header.__metadata__.backbone, 'resnet-tiny');
    assert.equal(header.__metadata__.checkpoint_id, checkpointId);
    assert.deepEqual(header['conv1.weight'].shape, [16, 1, 3, 3], 'OIHW');
    assert.equal(header['bn1.num_batches_tracked'].dtype, 'I64');
  });

  it('refuses bad requests with a code', async () => {
    const bad = await t.api().get(`/v1/jobs/${t.jobId}/export?format=pickle`).set(t.env.auth).expect(400);
    assert.equal(typeof bad.body.error.code, 'string');
    const noCheckpoint = await t.api().get(`/v1/jobs/${t.jobId}/export?checkpoint=ckpt_missing`).set(t.env.auth).expect(404);
    assert.equal(noCheckpoint.body.error.code, 'CHECKPOINT_NOT_FOUND');
    const foreign = await t.api().get(`/v1/jobs/${t.jobId}/export`).set(t.env.otherAuth).expect(404);
    assert.equal(foreign.body.error.code, 'JOB_NOT_FOUND');
    await t.api().get(`/v1/jobs/${t.jobId}/export`).expect(401);
    const queued = (await t.api().post('/v1/jobs').set(t.env.auth).send({ datasetId: t.datasetId, config: { backbone: 'resnet-tiny', imageSize: 16, channels: 1, batchSize: 16, epochs: 1 } }).expect(202)).body;
    await t.api().post(`/v1/jobs/${queued.id}/cancel`).set(t.env.auth).expect(200);
    const notReady = await t.api().get(`/v1/jobs/${queued.id}/export`).set(t.env.auth).expect(409);
    assert.equal(notReady.body.error.code, 'JOB_NOT_READY');
  });

  it('a periodic checkpoint pruned by the worker takes its exports with it', async () => {
    const store = checkpointStore(t.env.services, t.jobId);
    const save = (step: number) => store.save({ epoch: 0, step, bytes: new Uint8Array(4), metrics: {}, final: false, keep: 1 });
    const old = await save(1);
    for (const key of exportKeys(t.jobId, old.id)) await t.env.services.blobs.put(key, 'export');
    await save(2);
    for (const key of exportKeys(t.jobId, old.id)) assert.equal(await t.env.services.blobs.head(key), undefined, `${key} deleted`);
  });
});
