import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, onBothBackends, randomValues, ready } from './backends.ts';

before(() => ready());

const cases: { x: [number, number, number, number]; size: number; stride: number; pad: 'same' | 'valid' }[] = [
  { x: [2, 8, 8, 3], size: 3, stride: 2, pad: 'same' },
  { x: [2, 7, 7, 16], size: 3, stride: 2, pad: 'same' },
  { x: [3, 9, 7, 1], size: 2, stride: 2, pad: 'valid' },
  { x: [2, 6, 6, 3], size: 3, stride: 1, pad: 'same' },
  { x: [1, 9, 9, 16], size: 3, stride: 2, pad: 'valid' },
];

for (const c of cases) {
  test(`MaxPoolGrad matches cpu: x=${c.x.join('x')} size=${c.size} s=${c.stride} ${c.pad}`, async () => {
    const { cpu, wasm } = await onBothBackends(() => {
      const x = tf.tensor4d(randomValues(c.x, 5), c.x);
      const dx = tf.grad((input) => tf.maxPool(input as tf.Tensor4D, c.size, c.stride, c.pad).mul(tf.range(1, 1 + c.x[3])).sum())(x);
      return [dx];
    });
    assertClose(wasm[0], cpu[0], 'dx', 1e-6);
  });
}

test('MaxPoolGrad routes ties to the first maximum', async () => {
  const { cpu, wasm } = await onBothBackends(() => [
    tf.grad((input) => tf.maxPool(input as tf.Tensor4D, 2, 1, 'valid').sum())(tf.ones([1, 3, 3, 2])),
  ]);
  assertClose(wasm[0], cpu[0], 'dx', 0);
});
