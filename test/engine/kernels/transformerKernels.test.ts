// The native pack's transformer kernels on wasm against the cpu backend: layer norm, GELU and
// softmax, forward and gradient, through the engine's functions (fused kernels on wasm, the same
// math composed from tfjs ops on cpu), and attention's batched matmuls with transposes. Skipped
// where the addon is not built.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, onBothBackends, randomValues, ready } from './backends.ts';
import { FusedKernel } from '../../../src/engine/kernels/fused.ts';
import { softmax } from '../../../src/engine/kernels/softmax.ts';
import { LN_EPS, layerNorm, layerNormBackward, layerNormForward } from '../../../src/engine/layerNorm.ts';
import { gelu, geluBackward, geluForward } from '../../../src/engine/gelu.ts';
import { type Ctx, linear } from '../../../src/engine/layers.ts';
import { ParamStore } from '../../../src/engine/params.ts';
import { Prng } from '../../../src/engine/index.ts';
import { loadNativeKernels } from '../../../src/engine/kernels/native/index.ts';

const skip = loadNativeKernels() ? false : 'native kernel pack not built (npm run build:native)';

before(async () => {
  if (!skip) assert.equal(await ready({ native: true }), 'native');
});

const tensor = (shape: number[], seed: number, scale = 1) => tf.mul(tf.tensor(randomValues(shape, seed), shape), scale);
// rows x channels: a single row, channel counts off the vector width, ViT widths
const rowShapes = [[1, 5], [7, 37], [3, 17, 96], [2, 65, 192]];

for (const shape of rowShapes) {
  const c = shape[shape.length - 1];
  test(`layer norm forward and gradients match cpu: ${shape.join('x')}`, { skip }, async () => {
    const { cpu, wasm } = await onBothBackends(() => {
      // an offset and a spread so that the statistics matter
      const x = tf.reshape(tf.add(tensor(shape, 1, 3), 1.5), [-1, c]) as tf.Tensor2D;
      const [gamma, beta, dy] = [tensor([c], 2) as tf.Tensor1D, tensor([c], 3) as tf.Tensor1D, tf.reshape(tensor(shape, 4), x.shape) as tf.Tensor2D];
      const { y, mean, rstd } = layerNormForward(x, gamma, beta, LN_EPS);
      return [y, mean, rstd, ...layerNormBackward(dy, x, mean, rstd, gamma)];
    });
    ['y', 'mean', 'rstd', 'dx', 'dgamma', 'dbeta'].forEach((label, i) => assertClose(wasm[i], cpu[i], label));
  });

  test(`GELU forward and gradient match cpu: ${shape.join('x')}`, { skip }, async () => {
    const { cpu, wasm } = await onBothBackends(() => {
      const [x, dy] = [tensor(shape, 5, 4), tensor(shape, 6)];
      return [geluForward(x), geluBackward(dy, x)];
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

// attention's data movement: splitting qkv into heads and merging them back, and their gradients
const copyCases: Array<{ shape: number[]; perm: number[] }> = [
  { shape: [4, 9, 3, 2, 8], perm: [2, 0, 3, 1, 4] },
  { shape: [4, 2, 9, 8], perm: [0, 2, 1, 3] },
  { shape: [5, 7], perm: [1, 0] },
  { shape: [3, 1, 6, 5], perm: [3, 1, 0, 2] },
  { shape: [2, 3, 4, 5, 6, 7], perm: [5, 3, 1, 0, 2, 4] },
];

for (const { shape, perm } of copyCases) {
  test(`transpose, slice and split match cpu: ${shape.join('x')} by [${perm}]`, { skip }, async () => {
    const { cpu, wasm } = await onBothBackends(() => {
      const x = tensor(shape, 12);
      const moved = tf.transpose(x, perm);
      const last = moved.rank - 1;
      const begin = moved.shape.map((d) => (d > 2 ? 1 : 0));
      const size = moved.shape.map((d) => (d > 2 ? d - 2 : d));
      return [
        moved,
        tf.slice(moved, begin, size),
        ...tf.split(moved, moved.shape[0] > 2 ? [1, moved.shape[0] - 1] : moved.shape[0], 0),
        ...tf.split(moved, moved.shape[last] > 2 ? [2, moved.shape[last] - 2] : 1, last),
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.transpose(a, perm), tf.transpose(x, perm))))(x),
      ];
    });
    cpu.forEach((expected, i) => assertClose(wasm[i], expected, `output ${i}`, 0));
  });
}

test('integer transposes, slices and splits stay on wasm and stay right', { skip }, async () => {
  const { cpu, wasm } = await onBothBackends(() => {
    const x = tf.range(0, 2 * 3 * 4, 1, 'int32').reshape([2, 3, 4]);
    return [tf.transpose(x, [2, 0, 1]), tf.slice(x, [0, 1, 1], [2, 2, 2]), ...tf.split(x, [1, 3], 2)];
  });
  cpu.forEach((expected, i) => assertClose(wasm[i], expected, `output ${i}`, 0));
});

/** A pre-norm transformer block (multi-head attention, GELU MLP) of the engine's layers, regressed onto a target. */
function blockLoss(ctx: Ctx, x: tf.Tensor3D, target: tf.Tensor, heads: number): tf.Scalar {
  const [b, t, c] = x.shape;
  const d = c / heads;
  // on tokens as [rows, features]: tfjs's matmul gradient does not sum a broadcast 2-D weight's batch
  const dense = (name: string, h: tf.Tensor, out: number) => tf.reshape(linear(ctx, name, tf.reshape(h, [-1, h.shape[h.rank - 1]]) as tf.Tensor2D, out, true), [b, t, out]);
  const qkv = tf.transpose(tf.reshape(dense('qkv', layerNorm(ctx, 'ln1', x), 3 * c), [b, t, 3, heads, d]), [2, 0, 3, 1, 4]);
  const [q, k, v] = tf.unstack(qkv);
  const attention = softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)));
  const h = tf.add(x, dense('proj', tf.reshape(tf.transpose(tf.matMul(attention, v), [0, 2, 1, 3]), [b, t, c]), c));
  const out = tf.add(h, dense('fc2', gelu(dense('fc1', layerNorm(ctx, 'ln2', h), 2 * c)), c));
  return tf.mean(tf.squaredDifference(out, target));
}

test('a transformer block trains 20 steps on wasm like on cpu, without leaking tensors', { skip }, async () => {
  const [b, t, c, heads] = [2, 9, 12, 3];
  const final: Record<string, Float32Array[]> = {};
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const [x, target] = [tensor([b, t, c], 30) as tf.Tensor3D, tensor([b, t, c], 31)];
    const store = new ParamStore(new Prng(0));
    const ctx = { store, training: true };
    tf.tidy(() => blockLoss(ctx, x, target, heads)); // creates the parameters
    const params = store.list().map((p) => p.variable);
    const losses: number[] = [];
    let tensorsAfterFirst = 0;
    for (let step = 0; step < 20; step++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => blockLoss(ctx, x, target, heads), params);
        losses.push(value.dataSync()[0]);
        for (const p of params) p.assign(tf.sub(p, tf.mul(grads[p.name], 0.1)));
      });
      if (step === 0) tensorsAfterFirst = tf.memory().numTensors;
      else assert.equal(tf.memory().numTensors, tensorsAfterFirst, `${backend}: tensors leaked at step ${step}`);
    }
    assert.ok(losses[19] < losses[0], `${backend}: the loss went down`);
    final[backend] = [Float32Array.from(losses), ...params.map((p) => p.dataSync() as Float32Array)];
    tf.dispose([x, target]);
    store.dispose();
  }
  final.cpu.forEach((expected, i) => assertClose(final.wasm[i], expected, i === 0 ? 'losses' : `parameter ${i - 1}`));
});

test('the addon refuses a strided copy that would read past its input, and row kernels of the wrong size', { skip }, () => {
  const native = loadNativeKernels()!;
  const f = (n: number) => new Float32Array(n);
  native.stridedCopy(f(6), f(6), [3, 2], [1, 3], 0); // a 2x3 transposed
  assert.throws(() => native.stridedCopy(f(6), f(6), [3, 2], [1, 3], 1), /reads past the end of x/);
  assert.throws(() => native.stridedCopy(f(6), f(6), [3, 2], [1], 0), /shape and strides differ/);
  assert.throws(() => native.stridedCopy(f(6), f(5), [3, 2], [1, 3], 0), /argument 1: expected 6 floats, got 5/);
  assert.throws(() => native.layerNormForward(f(6), f(3), f(3), f(6), f(2), f(1), 2, 3, 1e-6), /argument 5: expected 2 floats, got 1/);
  assert.throws(() => native.softmaxBackward(f(6), f(6), f(5), 2, 3), /argument 2: expected 6 floats, got 5/);
  assert.throws(() => native.geluForward(f(6), f(6), 0), /argument 2: 0 out of range/);
});
