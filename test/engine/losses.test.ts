import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { crossEntropySimilarity, negativeCosine, simsiamLoss, stopGradient } from '../../src/engine/index.ts';
import { setupBackend } from './helpers.ts';

before(setupBackend);

const t2 = (rows: number[][]) => tf.tensor2d(rows);

test('negative cosine: identical views give -1, orthogonal 0, opposite +1, scale-invariant', () => {
  const p = t2([[1, 2, 3], [-1, 0, 4]]);
  assert.ok(Math.abs(negativeCosine(p, tf.mul(p, 3.5) as tf.Tensor2D).dataSync()[0] + 1) < 1e-6);
  assert.ok(Math.abs(negativeCosine(t2([[1, 0]]), t2([[0, 2]])).dataSync()[0]) < 1e-7);
  assert.ok(Math.abs(negativeCosine(t2([[1, 1]]), t2([[-2, -2]])).dataSync()[0] - 1) < 1e-6);
});

test('cross-entropy similarity equals -softmax(z) . log softmax(p) computed by hand', () => {
  const p = [0.5, -1, 2];
  const z = [1, 0, -1];
  const softmax = (v: number[]) => v.map((x) => Math.exp(x) / v.reduce((a, y) => a + Math.exp(y), 0));
  const expected = -softmax(z).reduce((acc, s, i) => acc + s * Math.log(softmax(p)[i]), 0);
  const got = crossEntropySimilarity(t2([p]), t2([z])).dataSync()[0];
  assert.ok(Math.abs(got - expected) < 1e-6, `${got} vs ${expected}`);
});

test('stopGradient is the identity forward and blocks the gradient', () => {
  const x = tf.tensor1d([1, -2, 3]);
  assert.deepEqual([...stopGradient(x).dataSync()], [1, -2, 3]);
  // d/dx sum(sg(x) * x) = sg(x) = x, not 2x
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(stopGradient(v), v)))(x);
  assert.deepEqual([...g.dataSync()], [1, -2, 3]);
});

test('simsiamLoss: targets get no gradient with stop-gradient and do without it; symmetric and asymmetric values', () => {
  const [z1, z2, p1, p2] = [[[1, 2]], [[0.5, -1]], [[2, 1]], [[-1, 3]]].map((v) => t2(v));
  const grads = (opts: Parameters<typeof simsiamLoss>[1]) =>
    tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
      simsiamLoss({ z1: a as tf.Tensor2D, z2: b as tf.Tensor2D, p1: c as tf.Tensor2D, p2: d as tf.Tensor2D }, opts),
    )([z1, z2, p1, p2]).map((g) => tf.abs(g).sum().dataSync()[0]);
  const base = { stopGradient: true, symmetric: true, loss: 'negative-cosine' } as const;
  const [gz1, gz2, gp1, gp2] = grads(base);
  assert.equal(gz1, 0);
  assert.equal(gz2, 0);
  assert.ok(gp1 > 0 && gp2 > 0);
  const noSg = grads({ ...base, stopGradient: false });
  assert.ok(noSg[0] > 0 && noSg[1] > 0);
  // symmetric = mean of the two directions; asymmetric = only D(p1, sg(z2))
  const value = (opts: Parameters<typeof simsiamLoss>[1]) => simsiamLoss({ z1, z2, p1, p2 }, opts).dataSync()[0];
  const forward = negativeCosine(p1, z2).dataSync()[0];
  const backward = negativeCosine(p2, z1).dataSync()[0];
  assert.ok(Math.abs(forward - backward) > 0.1);
  assert.ok(Math.abs(value(base) - (forward + backward) / 2) < 1e-6);
  assert.ok(Math.abs(value({ ...base, symmetric: false }) - forward) < 1e-6);
});
