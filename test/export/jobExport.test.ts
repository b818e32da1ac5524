// End to end: a tiny job trained by a real worker, exported over HTTP. PyTorch (strict load of the
// safetensors file) and onnxruntime (the ONNX file) must reproduce the service's own embeddings
// (POST /v1/jobs/:id/embed) of the same images to 1e-4, from the same normalised input.
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

describe('GET /v1/jobs/:id/export', () => {
  let t: TrainedEnv;
  const pngs: Buffer[] = [];
  let served: Float32Array;
  let input: { data: Float32Array; shape: number[] };

  const download = async (query: string) => {
    const res = await t.api().get(`/v1/jobs/${t.jobId}/export${query}`).set(t.env.auth).buffer(true).parse(binary).expect(200);
    return { bytes: new Uint8Array(res.body as Buffer), headers: res.headers };
  };

  before(async () => {
    await initBackend('cpu');
    t = await trainedEnv();
    for (let i = 0; i < 3; i++) pngs.push(await patternPng(i, 100 + i));
    let req = t.api().post(`/v1/jobs/${t.jobId}/embed`).set(t.env.auth);
    for (const [i, png] of pngs.entries()) req = req.attach('image', png, `${i}.png`);
    const res = await req.expect(200);
    served = Float32Array.from((res.body.items as Array<{ vector: number[] }>).flatMap((item) => item.vector));
    // the service's eval input: the training decode, then the engine's centre view and normalisation
    const job = await t.env.services.db.job.findUniqueOrThrow({ where: { id: t.jobId } });
    const spec = decodeSpecOf(jobTrainingConfig(job.config));
    const pixels = await Promise.all(pngs.map((png) => decodeImage(png, spec)));
    const batch = { data: Uint8Array.from(pixels.flatMap((p) => [...p])), shape: [pngs.length, spec.size, spec.size, spec.channels] as [number, number, number, number] };
    input = tf.tidy(() => toNchw(evalView(toUnitRange(batch), jobTrainingConfig(job.config).imageSize)));
  });
  after(async () => t.close());

  it('safetensors: loads strictly in PyTorch and reproduces the service embeddings to 1e-4', torchTestOptions, async (ctx) => {
    const { bytes, headers } = await download('?format=safetensors');
    assert.match(headers['content-disposition'], /\.safetensors"$/);
    const { features, report } = await torchFeatures(bytes, input);
    assert.equal(report.backbone, 'resnet-tiny');
    assert.deepEqual(report.shape, [3, 64]);
    const diff = maxAbsDiff(features, served);
    ctx.diagnostic(`max |torch - service| = ${diff}`);
    assert.ok(diff < 1e-4, `max |torch - service| = ${diff}`);
    assert.ok(Math.max(...served.map(Math.abs)) > 1e-2, 'embeddings are not all ~0 (the comparison means something)');
  });

  it('onnx: onnxruntime reproduces the service embeddings to 1e-4', async (ctx) => {
    const { bytes } = await download('?format=onnx');
    const { features, dims } = await onnxFeatures(bytes, input);
    assert.deepEqual(dims, [3, 64]);
    const diff = maxAbsDiff(features, served);
    ctx.diagnostic(`max |onnx - service| = ${diff}`);
    assert.ok(diff < 1e-4, `max |onnx - service| = ${diff}`);
  });

  it('is built once per checkpoint and format, then served from S3', async () => {
    const first = await download('');
    const checkpointId = first.headers['x-checkpoint-id'];
    assert.ok(await t.env.services.blobs.head(keys.backboneExport(t.jobId, checkpointId, 'safetensors')), 'default format is safetensors, stored in S3');
    const again = await download(`?format=safetensors&checkpoint=${checkpointId}`);
    assert.deepEqual(again.bytes, first.bytes);
    const header = JSON.parse(Buffer.from(first.bytes.subarray(8, 8 + Number(new DataView(first.bytes.buffer).getBigUint64(0, true)))).toString());
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
