// Block recomputation (src/engine/recompute.ts) on a small vit-micro: the loss and every gradient
// to the bit against the plain blocks (cpu and wasm, under the engine's variableGrads and under
// tfjs's own), a lower peak of live tensor bytes, the default rule, and a block whose parameters
// change refused. The tensor-leak and resume checks run with it on at the end (checks.ts).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { type EngineConfig, Prng, Trainer } from '../../src/engine/index.ts';
import { resolveTrainingConfig } from '../../src/domain/trainingConfig.ts';
import { recomputed } from '../../src/engine/recompute.ts';
import { variableGrads } from '../../src/engine/variableGrads.ts';
import { ACTIVATION_BUDGET_BYTES, vitStepActivationBytes } from '../../src/engine/backbones/vitOptions.ts';
import { type ParamSource, ParamStore } from '../../src/engine/params.ts';
import { ready } from './kernels/backends.ts';
import { type Grads, simsiamGradients, tinyConfig, tinySimSiam } from './helpers.ts';
import { methodEngineChecks } from './methods/checks.ts';

let kernels: string;
before(async () => {
  kernels = await ready({ native: true });
});

const vitMicro = { backbone: 'vit-micro', imageSize: 8, patchSize: 4, batchSize: 4, projectorDim: 16 };

function views(n: number, size: number, seed: number): tf.Tensor4D[] {
  const rng = new Prng(seed);
  return [0, 1].map(() => tf.tensor4d(Float32Array.from({ length: n * size * size * 3 }, () => rng.normal()), [n, size, size, 3]));
}

/** Trainer.gradients of one step: the loss first, then each trainable parameter's gradient. */
function stepGradients(overrides: Record<string, unknown>, checkpointBlocks: boolean): Float32Array[] {
  const config = tinyConfig({ ...vitMicro, ...overrides, checkpointBlocks }) as EngineConfig;
  const trainer = new Trainer(config, 2);
  const x = views(config.batchSize, config.imageSize, 7);
  const before = tf.memory().numTensors;
  const { loss, grads } = trainer.gradients(x);
  assert.equal(tf.memory().numTensors, before, 'tensors left behind by the step');
  tf.dispose(x);
  trainer.dispose();
  return [Float32Array.of(loss), ...grads.map((g) => g.data)];
}

for (const backend of ['cpu', 'wasm'] as const) {
  // moco-v3: a frozen momentum encoder through recomputed blocks beside the trained one
  for (const [method, overrides] of [['simsiam', {}], ['moco-v3', { projectorHiddenDim: 32, predictorHiddenDim: 16 }]] as const) {
    test(`${method} on vit-micro (${backend}): the loss and every gradient to the bit with recomputed blocks`, async () => {
      await tf.setBackend(backend);
      const plain = stepGradients({ method, ...overrides }, false);
      const recomputedGrads = stepGradients({ method, ...overrides }, true);
      assert.equal(recomputedGrads.length, plain.length);
      plain.forEach((v, i) => assert.deepEqual(recomputedGrads[i], v, `${i === 0 ? 'loss' : `gradient ${i - 1}`} (${backend}, ${kernels})`));
    });
  }
}

/** A SimSiam step's value and gradients with `grads`, and the peak bytes of live tensors meanwhile. */
async function simsiamStep(grads: Grads, checkpointBlocks: boolean, n: number): Promise<{ values: Float32Array[]; peakBytes: number }> {
  const model = tinySimSiam({ ...vitMicro, batchSize: n, checkpointBlocks });
  const x = views(n, vitMicro.imageSize, 3);
  const result = await simsiamGradients(model, x, grads);
  tf.dispose(x);
  model.dispose();
  return result;
}

test("under tfjs's own variableGrads too (the outer tape survives the blocks' own), and a lower peak", async () => {
  await tf.setBackend('cpu');
  const tensorsBefore = tf.memory().numTensors;
  const plain = await simsiamStep(variableGrads, false, 8);
  const ours = await simsiamStep(variableGrads, true, 8);
  const tfjs = await simsiamStep(tf.variableGrads as Grads, true, 8);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors left behind');
  plain.values.forEach((v, i) => {
    assert.deepEqual(ours.values[i], v, `value ${i}`);
    assert.deepEqual(tfjs.values[i], v, `value ${i} (tf.variableGrads)`);
  });
  // six blocks' intermediates against their inputs and one block's
  assert.ok(ours.peakBytes < 0.6 * plain.peakBytes, `peak ${ours.peakBytes} vs ${plain.peakBytes} bytes without recomputation`);
});

test('a block asking for other parameters under the same key is refused', async () => {
  await tf.setBackend('cpu');
  const store = new ParamStore(new Prng(1));
  const x = tf.ones([2, 3]);
  const key = `test block ${Math.random()}`;
  const scaled = (name: string) => (s: ParamSource, input: tf.Tensor) => tf.mul(input, s.getOrCreate(name, [3], { kind: 'constant', value: 2 }));
  tf.tidy(() => recomputed(store, key, x, scaled('a')));
  assert.deepEqual([...tf.tidy(() => recomputed(store, key, x, scaled('a'))).dataSync()], [2, 2, 2, 2, 2, 2]);
  assert.throws(() => tf.tidy(() => recomputed(store, key, x, scaled('b'))), /asked for other parameters/);
  x.dispose();
  store.dispose();
});

test('default: recomputation when a step would hold more activations than the budget; echoed; ViT only', () => {
  const resolve = (c: Record<string, unknown>) => {
    const r = resolveTrainingConfig({ imageSize: 32, ...c });
    if (!('config' in r)) throw new Error(JSON.stringify(r.issues));
    return r.config as EngineConfig & { checkpointBlocks?: boolean };
  };
  const tiny = (batchSize: number, method = 'simsiam') => resolve({ method, backbone: 'vit-tiny', batchSize });
  // vit-tiny at 32 px: 65 tokens of 192 channels in 12 blocks
  assert.equal(tiny(32).checkpointBlocks, false);
  assert.equal(tiny(48).checkpointBlocks, true);
  assert.ok(vitStepActivationBytes(tiny(128), 0) > ACTIVATION_BUDGET_BYTES);
  // a momentum encoder's views count: the same batch that fits alone does not beside its keys
  assert.equal(resolve({ backbone: 'vit-micro', batchSize: 64 }).checkpointBlocks, false);
  assert.equal(resolve({ method: 'moco-v3', backbone: 'vit-micro', batchSize: 64 }).checkpointBlocks, true);
  // asked for, it stays
  assert.equal(resolve({ backbone: 'vit-tiny', batchSize: 128, checkpointBlocks: false }).checkpointBlocks, false);
  assert.ok(!('checkpointBlocks' in resolve({ backbone: 'resnet-tiny', batchSize: 128 })));
  assert.deepEqual(resolveTrainingConfig({ checkpointBlocks: true }), { issues: [{ field: 'checkpointBlocks', message: "applies to ViT backbones only, not 'resnet-tiny'" }] });
});

// the contract checks with recomputation on: no leak over 20 steps (cpu), bitwise resume (cpu, wasm)
methodEngineChecks('moco-v3', { ...vitMicro, projectorHiddenDim: 32, predictorHiddenDim: 16, checkpointBlocks: true });
