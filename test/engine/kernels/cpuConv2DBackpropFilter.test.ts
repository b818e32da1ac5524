// The cpu backend's replacement Conv2DBackpropFilter gives the built-in kernel's bits, on the conv
// cases the wasm kernels are checked on, and hands NCHW to the built-in.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerCpuConv2DBackpropFilter } from '../../../src/engine/kernels/cpuConv2DBackpropFilter.ts';
import { initBackend } from '../../../src/engine/index.ts';
import { convCases, convOutShape, describeCase, randomValues } from './backends.ts';

let builtIn: tf.KernelFunc;

before(async () => {
  await tf.setBackend('cpu');
  builtIn = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')!.kernelFunc;
  await initBackend('cpu');
});

function both(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: tf.NamedAttrMap): { ours: Float32Array; theirs: Float32Array } {
  const theirsInfo = builtIn({ inputs: { x, dy }, backend: tf.backend(), attrs }) as tf.TensorInfo;
  const theirs = tf.engine().makeTensorFromTensorInfo(theirsInfo);
  const ours = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs) as tf.Tensor;
  assert.deepEqual(ours.shape, theirs.shape);
  const result = { ours: ours.dataSync() as Float32Array, theirs: theirs.dataSync() as Float32Array };
  tf.dispose([ours, theirs]);
  return result;
}

test('initBackend(\'cpu\') registers the replacement, and registering again changes nothing', () => {
  const registeredFunc = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')!.kernelFunc;
  assert.notEqual(registeredFunc, builtIn);
  registerCpuConv2DBackpropFilter();
  assert.equal(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')!.kernelFunc, registeredFunc);
});

for (const c of convCases) {
  test(`bit for bit the built-in: ${describeCase(c)}`, () => {
    const filterShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.outChannels];
    const dyShape = convOutShape(c);
    const x = tf.tensor4d(randomValues(c.x, 1), c.x);
    const dy = tf.tensor4d(randomValues(dyShape, 2), dyShape);
    const { ours, theirs } = both(x, dy, { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', filterShape } as unknown as tf.NamedAttrMap);
    assert.ok(theirs.some((v) => v !== 0), 'a non-trivial gradient');
    assert.deepEqual(ours, theirs);
    tf.dispose([x, dy]);
  });
}

test('NCHW goes to the built-in', () => {
  const x = tf.tensor4d(randomValues([2, 3, 7, 7], 3), [2, 3, 7, 7]);
  const dy = tf.tensor4d(randomValues([2, 4, 4, 4], 4), [2, 4, 4, 4]);
  const { ours, theirs } = both(x, dy, { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] } as unknown as tf.NamedAttrMap);
  assert.deepEqual(ours, theirs);
  tf.dispose([x, dy]);
});
