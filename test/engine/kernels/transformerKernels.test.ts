// The native pack's transformer kernels on wasm against the cpu backend: layer norm, GELU and
// softmax (forward and gradient; cpu composes the same math from tfjs ops, as the engine does where
// no fused kernel is registered), and attention's batched matmuls with transposes. Skipped where the
// addon is not built.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, onBothBackends, randomValues, ready } from './backends.ts';
import { FusedKernel, hasFusedKernel, runFused } from '../../../src/engine/kernels/fused.ts';
import { softmax } from '../../../src/engine/kernels/softmax.ts';
import { loadNativeKernels } from '../../../src/engine/kernels/native/index.ts';

const skip = loadNativeKernels() ? false : 'native kernel pack not built (npm run build:native)';

before(async () => {
  if (!skip) assert.equal(await ready({ native: true }), 'native');
});

const tensor = (shape: number[], seed: number, scale = 1) => tf.mul(tf.tensor(randomValues(shape, seed), shape), scale);
const EPS = 1e-5;

/** [y, mean, rstd] of a layer norm over the last axis, from tfjs ops */
function composedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor[] {
  const { mean, variance } = tf.moments(x, -1, true);
  const rstd = tf.rsqrt(tf.add(variance, EPS));
  const y = tf.add(tf.mul(tf.mul(tf.sub(x, mean), rstd), gamma), beta);
  const rows = [x.size / x.shape[x.rank - 1]];
  return [y, tf.reshape(mean, rows), tf.reshape(rstd, rows)];
}

const composedGelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));

// rows x channels: a single row, channel counts off the vector width, ViT widths
const rowShapes = [[1, 5], [7, 37], [3, 17, 96], [2, 65, 192]];

for (const shape of rowShapes) {
  const c = shape[shape.length - 1];
  test(`layer norm forward and gradients match cpu: ${shape.join('x')}`, { skip }, async () => {
    const { cpu, wasm } = await onBothBackends(() => {
      // an offset and a spread so that the statistics matter
      const x = tf.add(tensor(shape, 1, 3), 1.5);
      const [gamma, beta, dy] = [tensor([c], 2), tensor([c], 3), tensor(shape, 4)];
      if (hasFusedKernel(FusedKernel.layerNorm)) {
        const [y, mean, rstd] = runFused(FusedKernel.layerNorm, { x, gamma, beta }, { eps: EPS });
        return [y, mean, rstd, ...runFused(FusedKernel.layerNormGrad, { dy, x, mean, rstd, gamma }, {})];
      }
      const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(composedLayerNorm(a, g, b)[0], dy)))([x, gamma, beta]);
      return [...composedLayerNorm(x, gamma, beta), ...grads];
    });
    ['y', 'mean', 'rstd', 'dx', 'dgamma', 'dbeta'].forEach((label, i) => assertClose(wasm[i], cpu[i], label));
  });

  test(`GELU forward and gradient match cpu: ${shape.join('x')}`, { skip }, async () => {
    const { cpu, wasm } = await onBothBackends(() => {
      const [x, dy] = [tensor(shape, 5, 4), tensor(shape, 6)];
      if (hasFusedKernel(FusedKernel.gelu)) return [...runFused(FusedKernel.gelu, { x }, {}), ...runFused(FusedKernel.geluGrad, { dy, x }, {})];
      return [composedGelu(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(composedGelu(a), dy)))(x)];
    });
    assertClose(wasm[0], cpu[0], 'y');
    assertClose(wasm[1], cpu[1], 'dx');
  });

  test(`softmax forward and gradient match cpu: ${shape.join('x')}`, { skip }, async () => {
    const { cpu, wasm } = await onBothBackends(() => {
      const [x, dy] = [tensor(shape, 7, 6), tensor(shape, 8)];
      const { value, grad } = tf.valueAndGrad((a: tf.Tensor) => tf.sum(tf.mul(softmax(a), dy)))(x);
      return [tf.softmax(x), value, grad, tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.softmax(a), dy)))(x)];
    });
    assertClose(wasm[0], cpu[0], 'y');
    assertClose(wasm[1], cpu[1], 'loss');
    assertClose(wasm[2], cpu[2], 'dx (fused gradient)');
    // the engine's softmax and tf.softmax differ only in how the gradient is computed
    assertClose(wasm[2], cpu[3], 'dx against tf.softmax on cpu');
  });
}

test('the softmax gradient on wasm is the fused kernel', { skip }, async () => {
  await tf.setBackend('wasm');
  const x = tensor([4, 9], 9);
  const { kernelNames } = await tf.profile(() => tf.grad((a: tf.Tensor) => tf.sum(softmax(a)))(x));
  x.dispose();
  assert.ok(kernelNames.includes(FusedKernel.softmaxGrad), kernelNames.join());
  assert.ok(!kernelNames.includes('Sub'), kernelNames.join());
});

// attention's products: scores q kᵀ and their gradients (either operand transposed), per head
// [batch, heads, tokens, headDim], and linear layers on tokens (a shared 2-D weight)
const attentionCases: Array<{ a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }> = [
  { a: [2, 3, 17, 8], b: [2, 3, 17, 8], transposeA: false, transposeB: true },
  { a: [2, 3, 17, 17], b: [2, 3, 17, 8], transposeA: false, transposeB: false },
  { a: [2, 3, 17, 17], b: [2, 3, 17, 8], transposeA: true, transposeB: false },
  { a: [6, 17, 8], b: [6, 17, 17], transposeA: true, transposeB: true },
  { a: [40, 65, 32], b: [40, 65, 32], transposeA: false, transposeB: true },
  { a: [2, 17, 24], b: [24, 40], transposeA: false, transposeB: false },
  { a: [2, 17, 24], b: [40, 24], transposeA: false, transposeB: true },
  { a: [2, 24, 17], b: [24, 40], transposeA: true, transposeB: false },
];

for (const c of attentionCases) {
  test(`batched matmul matches cpu: ${c.a.join('x')}${c.transposeA ? 'ᵀ' : ''} · ${c.b.join('x')}${c.transposeB ? 'ᵀ' : ''}`, { skip }, async () => {
    const { cpu, wasm } = await onBothBackends(() => [tf.matMul(tensor(c.a, 10), tensor(c.b, 11), c.transposeA, c.transposeB)]);
    assertClose(wasm[0], cpu[0], 'product');
  });
}

/** A pre-norm transformer block (multi-head attention, GELU MLP) from the kernels above, regressed onto a target. */
function blockLoss(x: tf.Tensor3D, p: Record<string, tf.Tensor>, heads: number): tf.Scalar {
  const [b, t, c] = x.shape;
  const d = c / heads;
  const layerNorm = (h: tf.Tensor, g: tf.Tensor, beta: tf.Tensor) =>
    hasFusedKernel(FusedKernel.layerNorm) ? layerNormOp(h, g, beta) : composedLayerNorm(h, g, beta)[0];
  const gelu = (h: tf.Tensor) => (hasFusedKernel(FusedKernel.gelu) ? geluOp(h) : composedGelu(h));
  // on tokens as [rows, features]: tfjs's matmul gradient does not sum a broadcast 2-D weight's batch
  const linear = (h: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) =>
    tf.reshape(tf.add(tf.matMul(tf.reshape(h, [-1, w.shape[0]]), w), bias), [...h.shape.slice(0, -1), w.shape[1]]);
  const qkv = tf.transpose(tf.reshape(linear(layerNorm(x, p.g1, p.b1), p.wqkv, p.bqkv), [b, t, 3, heads, d]), [2, 0, 3, 1, 4]);
  const [q, k, v] = tf.unstack(qkv);
  const attention = softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)));
  const mixed = tf.reshape(tf.transpose(tf.matMul(attention, v), [0, 2, 1, 3]), [b, t, c]);
  const h = tf.add(x, linear(mixed, p.wo, p.bo));
  const out = tf.add(h, linear(gelu(linear(layerNorm(h, p.g2, p.b2), p.w1, p.bm1)), p.w2, p.bm2));
  return tf.mean(tf.squaredDifference(out, p.target));
}

// the fused kernels as differentiable ops, as the engine wraps them
const layerNormOp = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) =>
  tf.customGrad(((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mean, rstd] = runFused(FusedKernel.layerNorm, { x: a, gamma: g, beta: b }, { eps: EPS });
    save([a, mean, rstd, g]);
    return { value: y, gradFunc: (dy: tf.Tensor, [sx, sm, sr, sg]: tf.Tensor[]) => runFused(FusedKernel.layerNormGrad, { dy, x: sx, mean: sm, rstd: sr, gamma: sg }, {}) };
  }) as unknown as Parameters<typeof tf.customGrad>[0])(x, gamma, beta);
const geluOp = (x: tf.Tensor) =>
  tf.customGrad(((a: tf.Tensor, save: tf.GradSaveFunc) => {
    save([a]);
    return { value: runFused(FusedKernel.gelu, { x: a }, {})[0], gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => runFused(FusedKernel.geluGrad, { dy, x: sx }, {})[0] };
  }) as unknown as Parameters<typeof tf.customGrad>[0])(x);

test('a transformer block trains 20 steps on wasm like on cpu, without leaking tensors', { skip }, async () => {
  const [b, t, c, heads, hidden] = [2, 9, 12, 3, 24];
  const shapes: Record<string, number[]> = {
    g1: [c], b1: [c], wqkv: [c, 3 * c], bqkv: [3 * c], wo: [c, c], bo: [c], g2: [c], b2: [c], w1: [c, hidden], bm1: [hidden], w2: [hidden, c], bm2: [c],
  };
  const final: Record<string, Float32Array[]> = {};
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const x = tensor([b, t, c], 30) as tf.Tensor3D;
    const target = tensor([b, t, c], 31);
    const params = Object.fromEntries(Object.entries(shapes).map(([name, shape], i) => [name, tf.variable(tf.add(tensor(shape, 40 + i, 0.3), name.startsWith('g') ? 1 : 0))]));
    const losses: number[] = [];
    let tensorsAfterFirst = 0;
    for (let step = 0; step < 20; step++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => blockLoss(x, { ...params, target }, heads));
        losses.push(value.dataSync()[0]);
        for (const p of Object.values(params)) p.assign(tf.sub(p, tf.mul(grads[p.name], 0.1)));
      });
      if (step === 0) tensorsAfterFirst = tf.memory().numTensors;
      else assert.equal(tf.memory().numTensors, tensorsAfterFirst, `${backend}: tensors leaked at step ${step}`);
    }
    assert.ok(losses[19] < losses[0], `${backend}: the loss went down`);
    final[backend] = [Float32Array.from(losses), ...Object.values(params).map((p) => p.dataSync() as Float32Array)];
    tf.dispose([x, target, ...Object.values(params)]);
  }
  final.cpu.forEach((expected, i) => assertClose(final.wasm[i], expected, i === 0 ? 'losses' : `parameter ${i - 1}`));
});
