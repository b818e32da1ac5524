import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Prng, collapseStd, knnAccuracy, knnPredict } from '../../src/engine/index.ts';
import { setupBackend } from './helpers.ts';

before(setupBackend);

test('collapse std: 0 for a collapsed output, ~1/sqrt(d) for isotropic Gaussian outputs', () => {
  const collapsed = tf.tile(tf.tensor2d([[1, -2, 3, 0.5]]), [64, 1]) as tf.Tensor2D;
  assert.ok(collapseStd(collapsed).dataSync()[0] < 1e-6);
  const d = 64;
  const rng = new Prng(1);
  const healthy = tf.tensor2d(Array.from({ length: 2048 * d }, () => rng.normal()), [2048, d]);
  const std = collapseStd(healthy).dataSync()[0];
  assert.ok(Math.abs(std * Math.sqrt(d) - 1) < 0.05, `std ${std}`);
});

test('kNN classifies well-separated clusters perfectly and weights votes by exp(sim / T)', () => {
  const rng = new Prng(2);
  const centres = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  const cluster = (n: number) => {
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = i % 3;
      rows.push(centres[c].map((v) => 5 * v + 0.3 * rng.normal()));
      labels.push(c);
    }
    return { x: tf.tensor2d(rows), y: Int32Array.from(labels) };
  };
  const bank = cluster(60);
  const queries = cluster(30);
  assert.equal(knnAccuracy(bank.x, bank.y, queries.x, queries.y, 3, { k: 200, batchSize: 7 }), 1);
  // 1 very close neighbour of class 1 outvotes 2 farther ones of class 0 at T = 0.1 (majority would not)
  const small = tf.tensor2d([[1, 0], [0.6, 0.8], [0.6, -0.8]]);
  const q = tf.tensor2d([[0.99, 0.14]]);
  assert.deepEqual([...knnPredict(small, Int32Array.from([1, 0, 0]), q, 2, { k: 3 })], [1]);
  assert.deepEqual([...knnPredict(small, Int32Array.from([1, 0, 0]), q, 2, { k: 3, temperature: 100 })], [0]);
});
