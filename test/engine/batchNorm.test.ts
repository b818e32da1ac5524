import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { batchNorm, BN_EPS } from '../../src/engine/batchNorm.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Prng } from '../../src/engine/index.ts';
import { maxAbsDiff, setupBackend } from './helpers.ts';

before(setupBackend);

// 4 samples x 2 channels
const X = [
  [1, 10],
  [2, 20],
  [3, 0],
  [6, -10],
];

function handStats(col: number) {
  const v = X.map((r) => r[col]);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const biased = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { v, mean, biased, unbiased: (biased * v.length) / (v.length - 1) };
}

test('train mode normalises with batch statistics and updates running stats with PyTorch momentum 0.1', () => {
  const store = new ParamStore(new Prng(0));
  const ctx = { store, training: true };
  const y = batchNorm(ctx, 'bn', tf.tensor2d(X)).arraySync() as number[][];
  for (const col of [0, 1]) {
    const { v, mean, biased, unbiased } = handStats(col);
    v.forEach((x, i) => assert.ok(Math.abs(y[i][col] - (x - mean) / Math.sqrt(biased + BN_EPS)) < 1e-5));
    assert.ok(Math.abs(store.get('bn.running_mean').dataSync()[col] - 0.1 * mean) < 1e-6);
    assert.ok(Math.abs(store.get('bn.running_var').dataSync()[col] - (0.9 + 0.1 * unbiased)) < 1e-4);
  }
});

test('inference mode uses running statistics and the affine parameters', () => {
  const store = new ParamStore(new Prng(0));
  batchNorm({ store, training: false }, 'bn', tf.tensor2d(X)); // creates the parameters
  store.get('bn.running_mean').assign(tf.tensor1d([2, -1]));
  store.get('bn.running_var').assign(tf.tensor1d([4, 9]));
  store.get('bn.weight').assign(tf.tensor1d([3, 0.5]));
  store.get('bn.bias').assign(tf.tensor1d([1, -2]));
  const y = batchNorm({ store, training: false }, 'bn', tf.tensor2d(X)).arraySync() as number[][];
  const ref = (x: number, m: number, v: number, g: number, b: number) => ((x - m) / Math.sqrt(v + BN_EPS)) * g + b;
  X.forEach((row, i) => {
    assert.ok(Math.abs(y[i][0] - ref(row[0], 2, 4, 3, 1)) < 1e-5);
    assert.ok(Math.abs(y[i][1] - ref(row[1], -1, 9, 0.5, -2)) < 1e-5);
  });
  // running stats untouched by inference
  assert.deepEqual([...store.get('bn.running_mean').dataSync()], [2, -1]);
});

test('closed-form backward equals autodiff of the textbook formula (4-D, affine and not)', () => {
  const rng = new Prng(3);
  const x = tf.tensor4d(Array.from({ length: 2 * 3 * 3 * 4 }, () => rng.normal() * 2 + 1), [2, 3, 3, 4]);
  const dy = tf.tensor4d(Array.from({ length: x.size }, () => rng.normal()), x.shape);
  for (const affine of [true, false]) {
    const store = new ParamStore(new Prng(0));
    const ctx = { store, training: true };
    batchNorm(ctx, 'bn', x, { affine });
    const vars = affine ? [store.get('bn.weight'), store.get('bn.bias')] : [];
    vars.forEach((v, i) => v.assign(tf.tensor1d([0.5, 1.5, -1, 2].map((g) => g + i))));
    const gb = vars.map((v) => v.clone());
    const textbook = (input: tf.Tensor, gamma?: tf.Tensor, beta?: tf.Tensor) => {
      const { mean, variance } = tf.moments(input, [0, 1, 2]);
      const xhat = tf.div(tf.sub(input, mean), tf.sqrt(tf.add(variance, BN_EPS)));
      return tf.sum(tf.mul(gamma && beta ? tf.add(tf.mul(xhat, gamma), beta) : xhat, dy));
    };
    const ours = (input: tf.Tensor) => tf.sum(tf.mul(batchNorm(ctx, 'bn', input, { affine }), dy)) as tf.Scalar;
    const expected = tf.grads(textbook)([x, ...gb]);
    assert.ok(maxAbsDiff(tf.grad(ours)(x).dataSync(), expected[0].dataSync()) < 1e-4, 'dx');
    if (!affine) continue;
    const { grads } = tf.variableGrads(() => ours(x), vars);
    vars.forEach((v, i) => assert.ok(maxAbsDiff(grads[v.name].dataSync(), expected[i + 1].dataSync()) < 1e-4, `param ${i}`));
  }
});

test('training-mode BN leaves no tensor behind (running-stat updates included)', () => {
  const store = new ParamStore(new Prng(0));
  const ctx = { store, training: true };
  const x = tf.tensor4d(Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i % 5), [2, 2, 2, 3]);
  tf.tidy(() => batchNorm(ctx, 'bn', x)); // create parameters
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    tf.tidy(() => {
      tf.grad((input: tf.Tensor) => tf.sum(tf.square(batchNorm(ctx, 'bn', input))))(x);
      batchNorm({ store, training: false }, 'bn', x);
    });
  }
  assert.equal(tf.memory().numTensors, before);
});
