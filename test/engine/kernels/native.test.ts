// The native kernel pack (src/engine/kernels/native) on wasm against the cpu backend: oneDNN
// convolutions and sgemm, and the engine's batch norm, SGD and a whole training step, which take
// the fused kernels on wasm and the composed tfjs ops on cpu. Skipped where the addon is not built.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, convCases, convOutShape, describeCase, onBothBackends, randomValues, ready } from './backends.ts';
import { ConvKind, NATIVE_ADDON_PATH, loadNativeKernels } from '../../../src/engine/kernels/native/index.ts';
import { FusedKernel } from '../../../src/engine/kernels/fused.ts';
import { registerCpuConv2DBackpropFilter } from '../../../src/engine/kernels/cpuConv2DBackpropFilter.ts';
import { batchNorm } from '../../../src/engine/batchNorm.ts';
import { ParamStore } from '../../../src/engine/params.ts';
import { Sgd } from '../../../src/engine/optim/sgd.ts';
import { Prng, Trainer } from '../../../src/engine/index.ts';
import { randomImages, snapshot, tinyConfig } from '../helpers.ts';

const skip = loadNativeKernels() ? false : 'native kernel pack not built (npm run build:native)';

// node --test runs each file in its own process: the registration does not reach other files
before(async () => {
  if (!skip) assert.equal(await ready({ native: true }), 'native');
});

const tensor = (shape: number[], seed: number) => tf.tensor(randomValues(shape, seed), shape);

test('the fused kernels are registered for wasm only', { skip }, () => {
  for (const name of Object.values(FusedKernel)) {
    assert.ok(tf.getKernel(name, 'wasm'), name);
    assert.equal(tf.getKernel(name, 'cpu'), undefined, name);
  }
});

for (const c of convCases) {
  test(`oneDNN convolutions match cpu: ${describeCase(c)}`, { skip }, async () => {
    const filterShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.outChannels];
    const dyShape = convOutShape(c);
    const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC' };
    const { cpu, wasm } = await onBothBackends(() => {
      const x = tensor(c.x, 1) as tf.Tensor4D;
      const filter = tensor(filterShape, 2) as tf.Tensor4D;
      const dy = tensor(dyShape, 3);
      return [
        tf.conv2d(x, filter, c.stride, c.pad),
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { ...attrs, inputShape: c.x }) as tf.Tensor,
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape }) as tf.Tensor,
      ];
    });
    ['y', 'dx', 'dW'].forEach((label, i) => assertClose(wasm[i], cpu[i], label));
  });
}

const matMulCases: Array<{ a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }> = [
  { a: [5, 7], b: [7, 3], transposeA: false, transposeB: false },
  { a: [7, 5], b: [7, 3], transposeA: true, transposeB: false },
  { a: [5, 7], b: [3, 7], transposeA: false, transposeB: true },
  { a: [7, 5], b: [3, 7], transposeA: true, transposeB: true },
  { a: [3, 4, 6], b: [3, 6, 2], transposeA: false, transposeB: false },
  { a: [3, 4, 6], b: [6, 2], transposeA: false, transposeB: false },
  { a: [1, 6, 4], b: [2, 3, 6, 5], transposeA: true, transposeB: false },
];

for (const c of matMulCases) {
  test(`oneDNN matmul matches cpu: ${c.a.join('x')}${c.transposeA ? 'ᵀ' : ''} · ${c.b.join('x')}${c.transposeB ? 'ᵀ' : ''}`, { skip }, async () => {
    const { cpu, wasm } = await onBothBackends(() => [tf.matMul(tensor(c.a, 4), tensor(c.b, 5), c.transposeA, c.transposeB)]);
    assertClose(wasm[0], cpu[0], 'product');
  });
}

for (const [shape, affine] of [[[6, 5], true], [[3, 4, 4, 8], true], [[3, 4, 4, 8], false], [[64, 300], false]] as const) {
  test(`batch norm (train mode, affine ${affine}) forward, gradients and running statistics match cpu: ${shape.join('x')}`, { skip }, async () => {
    const { cpu, wasm } = await onBothBackends(() => {
      const store = new ParamStore(new Prng(0));
      const x = tf.add(tf.mul(tensor([...shape], 6), 3), 1.5);
      const weights = tensor([...shape], 7);
      const run = (input: tf.Tensor) => tf.sum(tf.mul(batchNorm({ store, training: true }, 'bn', input, { affine }), weights)) as tf.Scalar;
      run(x); // creates the parameters (and moves the running statistics once)
      const params = affine ? [store.get('bn.weight'), store.get('bn.bias')] : [];
      params.forEach((p, i) => p.assign(tensor(p.shape, 8 + i)));
      const paramGrads = affine ? Object.values(tf.variableGrads(() => run(x), params as tf.Variable[]).grads) : [];
      const out = [run(x), tf.grad(run)(x), ...paramGrads, tf.clone(store.get('bn.running_mean')), tf.clone(store.get('bn.running_var'))];
      store.dispose();
      return out;
    });
    cpu.forEach((expected, i) => assertClose(wasm[i], expected, `output ${i}`));
  });
}

test('SGD with momentum and weight decay: the fused update matches the composed one', { skip }, async () => {
  const { cpu, wasm } = await onBothBackends(() => {
    const store = new ParamStore(new Prng(0));
    const [a, b] = [store.getOrCreate('a', [300], { kind: 'constant', value: 0 }), store.getOrCreate('predictor.b', [4, 5], { kind: 'constant', value: 0 })];
    a.assign(tensor([300], 9));
    b.assign(tensor([4, 5], 10));
    const [pa, pb] = store.list();
    const sgd = new Sgd([{ param: pa, group: 'scheduled' }, { param: pb, group: 'fixed' }], 0.9, 1e-4);
    for (let step = 0; step < 3; step++) sgd.step([tensor([300], 11 + step), tensor([4, 5], 20 + step)], { scheduled: 0.1 / (step + 1), fixed: 0.05 });
    const out = [tf.clone(a), tf.clone(b), ...sgd.buffers().map((s) => tf.clone(s.variable))];
    sgd.dispose();
    store.dispose();
    return out;
  });
  cpu.forEach((expected, i) => assertClose(wasm[i], expected, `output ${i}`));
});

test('three training steps on wasm with the native pack track the same steps on cpu', { skip }, async () => {
  // the cpu backend as initBackend('cpu') sets it up: its filter gradient is the built-in's bits, faster
  registerCpuConv2DBackpropFilter();
  const config = tinyConfig({ imageSize: 16, channels: 1, batchSize: 8, projectorDim: 32 });
  const images = randomImages(8, 16, 1);
  const losses: Record<string, number[]> = {};
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const trainer = new Trainer(config, 10);
    losses[backend] = [0, 1, 2].map(() => trainer.step(images).loss);
    trainer.dispose();
  }
  losses.cpu.forEach((expected, i) => assert.ok(Math.abs(losses.wasm[i] - expected) <= 1e-4 * Math.max(1, Math.abs(expected)), `step ${i}: ${losses.wasm[i]} vs ${expected}`));
});

test('the contrastive products run in the native matmul: SimCLR\'s 2N x 2N similarities and MoCo v2\'s N x K queue scores, and their gradients', { skip }, async () => {
  await tf.setBackend('wasm');
  const native = loadNativeKernels()!;
  const matmul = native.matmul;
  // output rows x columns over the inner size k, per call
  const products: string[] = [];
  native.matmul = (a, b, out, batch, aBatch, bBatch, m, n, k, transA, transB) => {
    products.push(`${m}x${n} over ${k}`);
    matmul(a, b, out, batch, aBatch, bBatch, m, n, k, transA, transB);
  };
  const n = 6;
  const d = 16;
  const queueSize = 40;
  try {
    const simclr = new Trainer(tinyConfig({ method: 'simclr', batchSize: n, projectorDim: d, projectorHiddenDim: 24 }), 10);
    simclr.step(randomImages(n, 8, 3));
    simclr.dispose();
    assert.ok(products.includes(`${2 * n}x${2 * n} over ${d}`), 'the similarities z zᵀ');
    assert.ok(products.includes(`${2 * n}x${d} over ${2 * n}`), 'their gradient');
    products.length = 0;
    const moco = new Trainer(tinyConfig({ method: 'moco-v2', batchSize: n, projectorDim: d, projectorHiddenDim: 24, queueSize }), 10);
    moco.step(randomImages(n, 8, 3));
    moco.dispose();
    assert.ok(products.includes(`${n}x${queueSize} over ${d}`), 'the queue scores q Kᵀ');
    assert.ok(products.includes(`${n}x${d} over ${queueSize}`), 'their gradient');
  } finally {
    native.matmul = matmul;
  }
});

test('resuming from a checkpoint on wasm with the native pack continues bit for bit', { skip }, async () => {
  await tf.setBackend('wasm');
  const config = tinyConfig({ imageSize: 16, channels: 1, batchSize: 8, projectorDim: 32, epochs: 2 });
  const batches = [1, 2, 3, 4].map((seed) => randomImages(8, 16, 1, seed));
  const variables = (t: Trainer) => t.method.store.list().map((p) => p.variable);
  const straight = new Trainer(config, 2);
  const expected = batches.map((b) => straight.step(b).loss);
  const first = new Trainer(config, 2);
  first.step(batches[0]);
  first.step(batches[1]);
  const resumed = Trainer.restore(first.serialize());
  first.dispose();
  assert.deepEqual([resumed.step(batches[2]).loss, resumed.step(batches[3]).loss], expected.slice(2));
  assert.deepEqual(snapshot(variables(resumed)), snapshot(variables(straight)));
  straight.dispose();
  resumed.dispose();
});

test('convolutions from several threads at once give the single-thread results', { skip }, async () => {
  // evaluation runs engine threads side by side; oneDNN's own scratchpad is shared between threads
  const { Worker } = await import('node:worker_threads');
  const [n, h, c] = [16, 28, 16];
  // x [n,h,h,c], 3x3 filter c -> c, stride 1, same padding: geometry in addon.cc's order
  const geometry = [n, h, h, c, 3, 3, c, h, h, 1, 1, 1, 1, 1, 1];
  const x = randomValues([n, h, h, c], 1);
  const dy = randomValues([n, h, h, c], 2);
  const expected = new Float32Array(3 * 3 * c * c);
  loadNativeKernels()!.conv(ConvKind.backwardWeights, x, dy, expected, ...geometry);
  const worker = () =>
    new Promise<Float32Array>((resolve, reject) => {
      const w = new Worker(
        `const { parentPort, workerData: d } = require('node:worker_threads');
         const kernels = require(d.addon);
         const out = new Float32Array(d.size);
         for (let i = 0; i < 100; i++) kernels.conv(d.kind, d.x, d.dy, out, ...d.geometry);
         parentPort.postMessage(out);`,
        { eval: true, workerData: { addon: NATIVE_ADDON_PATH, kind: ConvKind.backwardWeights, x, dy, geometry, size: expected.length } },
      );
      w.once('message', resolve);
      w.once('error', reject);
    });
  for (const out of await Promise.all([worker(), worker(), worker()])) assertClose(out, expected, 'concurrent backward weights');
});

test('the addon rejects views of the wrong length, a missing buffer and impossible sizes with an error, not a crash', { skip }, () => {
  const native = loadNativeKernels()!;
  const f = (n: number) => new Float32Array(n);
  const [rows, c] = [2, 3];
  // a correct call first, so the failures below are about the arguments alone
  native.batchNormForward(f(rows * c), null, null, f(rows * c), f(c), f(c), rows, c, 1e-5);
  assert.throws(() => native.batchNormForward(f(rows * c - 1), null, null, f(rows * c), f(c), f(c), rows, c, 1e-5), {
    code: 'ERR_NATIVE_KERNEL',
    message: /argument 0: expected 6 floats, got 5/,
  });
  assert.throws(() => native.batchNormForward(f(rows * c), null, null, null as unknown as Float32Array, f(c), f(c), rows, c, 1e-5), /argument 3: expected a Float32Array, got null/);
  assert.throws(() => native.sgdUpdate(f(4), f(4), f(4), f(4), f(3), 4, 0.1, 0.9, 0), /argument 4: expected 4 floats, got 3/);
  native.matmul(f(6), f(6), f(4), 1, 1, 1, 2, 2, 3, false, false); // [2,3] x [3,2]
  assert.throws(() => native.matmul(f(6), f(6), f(3), 1, 1, 1, 2, 2, 3, false, false), /argument 2: expected 4 floats, got 3/);
  assert.throws(() => native.matmul(f(12), f(6), f(8), 2, 3, 1, 2, 2, 3, false, false), /aBatch and bBatch must be 1 or batch/);
  // x [1,4,4,1] * filter [3,3,1,2] -> y [1,4,4,2]; the output is one float short
  const geometry = [1, 4, 4, 1, 3, 3, 2, 4, 4, 1, 1, 1, 1, 1, 1];
  native.conv(ConvKind.forward, f(16), f(18), f(32), ...geometry);
  assert.throws(() => native.conv(ConvKind.forward, f(16), f(18), f(31), ...geometry), /argument 3: expected 32 floats, got 31/);
  assert.throws(() => native.conv(ConvKind.backwardWeights, f(16), f(32), f(17), ...geometry), /argument 3: expected 18 floats, got 17/);
  assert.throws(() => native.conv(ConvKind.forward, f(16), f(18), f(32), 0, ...geometry.slice(1)), /argument 4: 0 out of range/);
  assert.throws(() => native.conv(7, f(16), f(18), f(32), ...geometry), /unknown convolution kind/);
});
