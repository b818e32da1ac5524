// LayerNorm and GELU (the ViT's own ops): the engine's closed-form backward equals tfjs autodiff of
// the textbook formula, and the forward equals it, on the cpu backend (the reference the fused
// kernels are checked against).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { LN_EPS, layerNorm } from '../../src/engine/layerNorm.ts';
import { gelu } from '../../src/engine/gelu.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Prng } from '../../src/engine/index.ts';
import { maxAbsDiff, setupBackend } from './helpers.ts';

before(setupBackend);

const close = (a: tf.Tensor, b: tf.Tensor, tol = 1e-5) => assert.ok(maxAbsDiff(a.dataSync(), b.dataSync()) < tol, `max diff ${maxAbsDiff(a.dataSync(), b.dataSync())}`);

test('layerNorm: forward and gradients (x, gamma, beta) match autodiff of the formula', () => {
  const store = new ParamStore(new Prng(0));
  const x = tf.randomNormal([2, 5, 6], 1, 3, 'float32', 1) as tf.Tensor3D;
  layerNorm({ store, training: true }, 'ln', x);
  const gamma = store.get('ln.weight');
  const beta = store.get('ln.bias');
  gamma.assign(tf.randomNormal([6], 1, 0.5, 'float32', 2));
  beta.assign(tf.randomNormal([6], 0, 0.5, 'float32', 3));
  const dy = tf.randomNormal([2, 5, 6], 0, 1, 'float32', 4);
  const formula = (v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(v, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(v, mean), tf.sqrt(tf.add(variance, LN_EPS))), g), b);
  };
  const engine = tf.variableGrads(() => tf.sum(tf.mul(layerNorm({ store, training: true }, 'ln', x), dy)) as tf.Scalar, [gamma, beta]);
  const reference = tf.grads((g: tf.Tensor, b: tf.Tensor) => formula(x, g, b))([gamma, beta], dy);
  close(layerNorm({ store, training: true }, 'ln', x), formula(x, gamma, beta));
  close(engine.grads[gamma.name], reference[0], 1e-4);
  close(engine.grads[beta.name], reference[1], 1e-4);
  const dxEngine = tf.grad((v: tf.Tensor) => layerNorm({ store, training: true }, 'ln', v))(x, dy);
  const dxReference = tf.grad((v: tf.Tensor) => formula(v, gamma, beta))(x, dy);
  close(dxEngine, dxReference, 1e-4);
});

test('gelu: exact-erf forward and gradient match autodiff of x * Phi(x)', () => {
  const x = tf.linspace(-6, 6, 49);
  const formula = (v: tf.Tensor) => tf.mul(v, tf.mul(0.5, tf.add(1, tf.erf(tf.div(v, Math.SQRT2)))));
  close(gelu(x), formula(x));
  // GELU(1) = 0.841344746 (torch.nn.GELU())
  assert.ok(Math.abs(gelu(tf.scalar(1)).dataSync()[0] - 0.841344746) < 1e-6);
  const dy = tf.randomNormal([49], 0, 1, 'float32', 5);
  close(tf.grad(gelu)(x, dy), tf.grad(formula)(x, dy), 1e-5);
});
