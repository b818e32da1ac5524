// ViT backbones: sizes, config rules, the tfjs-layers export against the engine's own features, and
// every method's contract (no tensor leak over 20 steps, bitwise resume on cpu and wasm) on vit-micro.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveTrainingConfig } from '../../src/domain/trainingConfig.ts';
import { type EngineConfig, Trainer, initBackend } from '../../src/engine/index.ts';
import { exportLayersModel } from '../../src/engine/layersExport.ts';
import { sincosPositionEmbedding } from '../../src/engine/backbones/sincos.ts';
import { maxAbsDiff, randomImages, tinyConfig, tinySimSiam } from './helpers.ts';
import { methodEngineChecks } from './methods/checks.ts';

before(() => initBackend('cpu'));

const trainable = (overrides: Record<string, unknown>) => {
  const m = tinySimSiam({ projectorDim: 8, ...overrides });
  const count = m.store.list('backbone.').filter((p) => p.trainable).reduce((n, p) => n + p.variable.size, 0);
  const dim = m.featureDim;
  m.dispose();
  return { count, dim };
};

test('vit-tiny is DeiT-Ti (5.52M parameters without the head, learned positions at 224/16); vit-micro and vit-small', () => {
  assert.deepEqual(trainable({ backbone: 'vit-tiny', imageSize: 224, posEmbed: 'learned' }), { count: 5_524_416, dim: 192 });
  // fixed sin-cos positions are not trained
  assert.deepEqual(trainable({ backbone: 'vit-tiny', imageSize: 224 }), { count: 5_524_416 - 197 * 192, dim: 192 });
  assert.deepEqual(trainable({ backbone: 'vit-micro', imageSize: 8 }), { count: 1_196_288, dim: 128 });
  assert.equal(trainable({ backbone: 'vit-small', imageSize: 8 }).dim, 384);
});

test('config: ViT defaults are filled for ViTs only; sizes off the patch grid and ViT fields on a ResNet are refused', () => {
  const resolve = (c: Record<string, unknown>) => resolveTrainingConfig({ batchSize: 4, ...c });
  const vit = resolve({ backbone: 'vit-micro', imageSize: 32 });
  assert.ok('config' in vit);
  assert.deepEqual([vit.config.patchSize, vit.config.posEmbed, vit.config.pool], [4, 'sincos', 'cls']);
  const big = resolve({ backbone: 'vit-small', imageSize: 224 });
  assert.ok('config' in big && big.config.patchSize === 16);
  const resnet = resolve({});
  assert.ok('config' in resnet && !('patchSize' in resnet.config));
  assert.deepEqual(resolve({ backbone: 'vit-micro', imageSize: 30 }), { issues: [{ field: 'imageSize', message: '30 px is not a multiple of patchSize 4' }] });
  assert.deepEqual(resolve({ method: 'swav', backbone: 'vit-micro', imageSize: 32, smallCrops: 2, smallCropSize: 14 }), {
    issues: [{ field: 'smallCropSize', message: '14 px is not a multiple of patchSize 4' }],
  });
  assert.deepEqual(resolve({ pool: 'mean' }), { issues: [{ field: 'pool', message: "applies to ViT backbones only, not 'resnet-tiny'" }] });
});

test('sin-cos position embeddings: zeros for the class token, sin/cos of the patch row then the column', () => {
  const pe = sincosPositionEmbedding(2, 3, 8);
  assert.deepEqual([...pe.subarray(0, 8)], Array(8).fill(0));
  // patch (row 1, col 2): omega = [1, 1e-2] per quarter of 2 channels
  const at = [...pe.subarray((1 + 1 * 3 + 2) * 8, (2 + 1 * 3 + 2) * 8)];
  const expected = [Math.sin(1), Math.sin(0.01), Math.cos(1), Math.cos(0.01), Math.sin(2), Math.sin(0.02), Math.cos(2), Math.cos(0.02)];
  assert.ok(maxAbsDiff(at, expected) < 1e-6);
});

for (const [pool, posEmbed, channels] of [['cls', 'sincos', 3], ['mean', 'learned', 1]] as const) {
  test(`tfjs-layers export (pool ${pool}, ${posEmbed} positions, ${channels} channel(s)) gives the engine's features`, async () => {
    const config = tinyConfig({ backbone: 'vit-micro', imageSize: 16, pool, posEmbed, channels });
    const trainer = new Trainer(config, 2, 8);
    trainer.step(randomImages(4, 18, channels, 1), Int32Array.from([0, 1, 2, 3]));
    const bundle = await exportLayersModel(config, trainer.exportBackbone());
    const json = bundle.modelJson as { modelTopology: object; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bundle.weights.slice().buffer }),
    );
    tf.tidy(() => {
      const x = tf.randomNormal([2, 16, 16, channels], 0, 1, 'float32', 3) as tf.Tensor4D;
      const exported = (model.predict(x) as tf.Tensor).dataSync();
      const engine = trainer.method.backbone(x, false).dataSync();
      assert.equal(exported.length, 2 * 128);
      assert.ok(maxAbsDiff(exported, engine) < 1e-5, `max diff ${maxAbsDiff(exported, engine)}`);
    });
    model.dispose();
    trainer.dispose();
  });
}

test('learned position embeddings follow a smaller crop (SwAV multi-crop) by bilinear resizing', () => {
  const config = tinyConfig({ method: 'swav', backbone: 'vit-micro', imageSize: 16, posEmbed: 'learned', smallCrops: 2, smallCropSize: 8, projectorHiddenDim: 16, prototypes: 8 }) as EngineConfig;
  const trainer = new Trainer(config, 2, 8);
  const r = trainer.step(randomImages(4, 18, 3, 2), Int32Array.from([0, 1, 2, 3]));
  assert.ok(Number.isFinite(r.loss));
  trainer.dispose();
});

const vit = { backbone: 'vit-micro' };
methodEngineChecks('simsiam', vit);
methodEngineChecks('simclr', { ...vit, projectorHiddenDim: 32 });
methodEngineChecks('moco-v2', { ...vit, projectorHiddenDim: 32, queueSize: 16, keyBnSplits: 2 });
methodEngineChecks('byol', { ...vit, projectorHiddenDim: 32, predictorHiddenDim: 16 });
methodEngineChecks('swav', { ...vit, projectorHiddenDim: 32, prototypes: 8 });
