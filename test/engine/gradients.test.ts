// The stop-gradient proof on a real (tiny) SimSiam model: the analytic gradient of the SimSiam loss
// equals the finite difference of the loss with the targets z frozen at their current value, and
// differs from the finite difference of the loss with live targets (which no-stop-gradient matches).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Prng, negativeCosine, simsiamLoss, stopGradient } from '../../src/engine/index.ts';
import { setupBackend, tinyConfig, tinySimSiam } from './helpers.ts';

before(setupBackend);

const cfg = tinyConfig({ channels: 1, projectorDim: 16 });
const base = { symmetric: true, loss: 'negative-cosine' } as const;

function setup() {
  const model = tinySimSiam({ channels: 1, projectorDim: 16 });
  const rng = new Prng(5);
  // move BN affine parameters off their init: zero-init gammas make relu(0 + x) kinks exactly at
  // the evaluation point, where finite differences and gradients legitimately disagree
  for (const p of model.store.list().filter((q) => q.trainable && q.name.includes('.bn.'))) {
    const [lo, hi] = p.name.endsWith('weight') ? [0.5, 1.5] : [-0.2, 0.2];
    p.variable.assign(tf.tensor(Array.from({ length: p.variable.size }, () => rng.uniform(lo, hi)), p.variable.shape));
  }
  const view = () => tf.tensor4d(Array.from({ length: 8 * 8 * 8 }, () => rng.normal()), [8, 8, 8, 1]);
  // the encoder (backbone + projector): where the stop-gradient changes the gradient
  const variables = model.store.list().filter((p) => p.trainable && !p.name.startsWith('predictor.')).map((p) => p.variable);
  // a random direction over those parameters, unit norm overall
  const dir = variables.map((v) => tf.tensor(Array.from({ length: v.size }, () => rng.normal()), v.shape));
  const norm = Math.sqrt(dir.reduce((acc, d) => acc + tf.sum(tf.square(d)).dataSync()[0], 0));
  return { model, x1: view(), x2: view(), variables, dir: dir.map((d) => tf.div(d, norm)) };
}

test('no gradient reaches the encoder through the target branch', () => {
  const { model, x2, variables } = setup();
  const encoder = variables;
  const constantP = tf.randomNormal([8, 16]) as tf.Tensor2D;
  // D(c, sg(z2)): z2 only enters as a target
  const { grads } = tf.variableGrads(() => negativeCosine(constantP, stopGradient(model.encode('', x2, true))), encoder);
  for (const v of encoder) assert.equal(tf.abs(grads[v.name]).max().dataSync()[0], 0);
  // sanity: without the stop-gradient the same graph does carry gradient
  const live = tf.variableGrads(() => negativeCosine(constantP, model.encode('', x2, true)), encoder);
  assert.ok(encoder.some((v) => tf.abs(live.grads[v.name]).max().dataSync()[0] > 1e-4));
});

test('directional derivatives match central finite differences (frozen targets with sg, live without)', () => {
  const { model, x1, x2, variables, dir } = setup();
  const forward = () => {
    const z1 = model.encode('', x1, true);
    const z2 = model.encode('', x2, true);
    return { z1, z2, p1: model.predict(z1, true), p2: model.predict(z2, true) };
  };
  const analytic = (stopGrad: boolean) => {
    const { grads } = tf.variableGrads(() => simsiamLoss(forward(), { ...base, stopGradient: stopGrad }), variables);
    return variables.reduce((acc, v, i) => acc + tf.sum(tf.mul(grads[v.name], dir[i])).dataSync()[0], 0);
  };
  const frozen = tf.tidy(() => {
    const { z1, z2 } = forward();
    return [tf.keep(z1), tf.keep(z2)];
  });
  const lossAt = (t: number, targets: 'frozen' | 'live') =>
    tf.tidy(() => {
      const saved = variables.map((v) => v.clone());
      variables.forEach((v, i) => v.assign(tf.add(v, tf.mul(dir[i], t))));
      const out = forward();
      const [z1, z2] = targets === 'frozen' ? frozen : [out.z1, out.z2];
      const value = simsiamLoss({ ...out, z1: z1 as tf.Tensor2D, z2: z2 as tf.Tensor2D }, { ...base, stopGradient: false }).dataSync()[0];
      variables.forEach((v, i) => v.assign(saved[i]));
      return value;
    });
  // Central differences with Richardson extrapolation (error O(h^4)): tiny-batch BN makes the loss
  // strongly curved, and float32 rounding (~1e-7 on a loss ~1) limits how small h can get.
  const fd = (targets: 'frozen' | 'live', h = 4e-3) => {
    const central = (step: number) => (lossAt(step, targets) - lossAt(-step, targets)) / (2 * step);
    return (4 * central(h / 2) - central(h)) / 3;
  };
  const sg = analytic(true);
  const noSg = analytic(false);
  const fdFrozen = fd('frozen');
  const fdLive = fd('live');
  const tol = 5e-4 + 0.03 * Math.max(Math.abs(sg), Math.abs(noSg));
  assert.ok(Math.abs(sg - fdFrozen) < tol, `sg ${sg} vs fd(frozen) ${fdFrozen}`);
  assert.ok(Math.abs(noSg - fdLive) < tol, `no-sg ${noSg} vs fd(live) ${fdLive}`);
  // and each analytic gradient is far from the other hypothesis (measured margin ~5 tol)
  assert.ok(Math.abs(sg - fdLive) > 3 * tol && Math.abs(noSg - fdFrozen) > 3 * tol, `stop-gradient must change the gradient: ${sg} vs ${noSg}`);
});
