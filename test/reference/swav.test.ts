// SwAV against the PyTorch reference (bench/reference/methods/swav.py): loss (through the Sinkhorn
// codes), every gradient, the prototypes after normalisation (frozen) or normalisation and update,
// the queue and its fill count, BN statistics and momentum buffers, to 1e-4 relative.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { type EngineConfig, type MethodConfig, Trainer, augmentViews, Prng } from '../../src/engine/index.ts';
import { sinkhornKnopp } from '../../src/engine/losses.ts';
import { randomImages, setupBackend, tinyConfig } from '../engine/helpers.ts';
import { assertMatches, compareStep, torchMissing } from './harness.ts';

const skip = torchMissing();
before(setupBackend);

const config = (overrides: Record<string, unknown>) =>
  tinyConfig({ method: 'swav', channels: 1, imageSize: 8, batchSize: 6, projectorDim: 16, projectorHiddenDim: 32, prototypes: 10, epochs: 3, ...overrides }) as EngineConfig;

// stepsPerEpoch is 4 in compareStep: prototypes are frozen for steps 0-3 by default
const cases: Array<[string, Record<string, unknown>, number]> = [
  ['default, prototypes frozen (normalised only)', {}, 0],
  ['after the freeze (prototypes normalised and updated)', {}, 5],
  ['no freeze, temperature 0.2, epsilon 0.1, 5 iterations', { freezePrototypesEpochs: 0, temperature: 0.2, sinkhornEpsilon: 0.1, sinkhornIterations: 5 }, 1],
  ['queue filling (not used yet)', { queueLength: 12, queueStartEpoch: 0 }, 1],
  ['queue full (used by Sinkhorn, shifted)', { queueLength: 12, queueStartEpoch: 0 }, 3],
  ['queue starting at epoch 1', { queueLength: 6, queueStartEpoch: 1 }, 5],
  ['multi-crop: 2 small crops of 8 px beside 10 px ones', { imageSize: 10, smallCrops: 2, smallCropSize: 8 }, 4],
  ['multi-crop with a full queue', { imageSize: 10, smallCrops: 1, smallCropSize: 8, queueLength: 6, queueStartEpoch: 0 }, 2],
];

for (const [name, overrides, warmupSteps] of cases) {
  test(`swav matches PyTorch: ${name}`, { skip }, async () => {
    const compared = assertMatches(await compareStep(config(overrides), { warmupSteps }));
    assert.ok(compared > 20, `compared ${compared} tensors`);
  });
}

test('swav: the queue is compared, and it holds features once filled', { skip }, async () => {
  const c = await compareStep(config({ queueLength: 12, queueStartEpoch: 0 }), { warmupSteps: 3 });
  assert.ok(c.reference.tensors.has('param/queue') && c.reference.tensors.has('state/queue.filled'));
  assert.equal(c.engine.tensors.get('state/queue.filled')!.data[0], 12);
  assert.ok(c.engine.tensors.get('param/queue')!.data.every((v) => v !== 0));
});

test('swav: frozen prototypes come out of a step l2-normalised and otherwise unchanged', { skip }, async () => {
  const c = await compareStep(config({}), { warmupSteps: 1 });
  const w = c.engine.tensors.get('param/prototypes.weight')!;
  const [d, k] = w.shape;
  for (let j = 0; j < k; j++) {
    let norm = 0;
    for (let i = 0; i < d; i++) norm += w.data[i * k + j] ** 2;
    assert.ok(Math.abs(Math.sqrt(norm) - 1) < 1e-5, `prototype ${j} has norm ${Math.sqrt(norm)}`);
  }
});

test('sinkhorn: codes are a distribution per sample with an equal share per prototype', () => {
  const scores = tf.tensor2d([0.9, 0.1, -0.2, 0.3, 0.8, 0.1, 0.2, 0.2, 0.7, 0.95, 0.0, 0.1], [4, 3]);
  const q = sinkhornKnopp(scores, 0.05, 50).arraySync();
  for (const row of q) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4);
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(q.reduce((a, row) => a + row[k], 0) - 4 / 3) < 1e-3, `prototype ${k}`);
  tf.dispose(scores);
});

test('swav: multi-crop draws the small views at their size', () => {
  const cfg = config({ imageSize: 12, smallCrops: 3 }) as MethodConfig<'swav'>;
  const trainer = new Trainer(cfg, 2);
  const views = augmentViews(randomImages(4, 14, 1), cfg, new Prng(1), trainer.method.views);
  assert.equal(cfg.smallCropSize, 8, 'the default: 96/224 of imageSize, at least 8');
  assert.deepEqual(views.map((v) => v.shape[1]), [12, 12, 8, 8, 8]);
  tf.dispose(views);
  trainer.dispose();
});
