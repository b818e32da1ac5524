import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, onBothBackends, randomValues, ready } from './backends.ts';

before(() => ready());

// Leading axes take the average-pool path; the others check that everything else still reaches wasm's own kernel.
const cases: { shape: number[]; axis: number[]; keepDims: boolean }[] = [
  { shape: [3, 5, 4, 16], axis: [0, 1, 2], keepDims: true },
  { shape: [3, 5, 4, 16], axis: [2, 0, 1], keepDims: false },
  { shape: [37, 2048], axis: [0], keepDims: false },
  { shape: [4, 3, 5], axis: [-3, -2], keepDims: true },
  { shape: [3, 5, 4, 16], axis: [1, 2], keepDims: true },
  { shape: [6, 7], axis: [1], keepDims: false },
  { shape: [6, 7], axis: [0, 1], keepDims: false },
  { shape: [1, 7], axis: [0], keepDims: false },
];

for (const { shape, axis, keepDims } of cases) {
  test(`Sum and Mean match cpu: ${shape.join('x')} axis=${axis} keepDims=${keepDims}`, async () => {
    const { cpu, wasm } = await onBothBackends(() => {
      const x = tf.tensor(randomValues(shape, 9), shape);
      return [tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims)];
    });
    assertClose(wasm[0], cpu[0], 'sum');
    assertClose(wasm[1], cpu[1], 'mean');
  });
}

test('integer Sum over leading axes keeps its dtype', async () => {
  const { cpu, wasm } = await onBothBackends(() => [tf.sum(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), 0)]);
  assertClose(wasm[0], cpu[0], 'sum', 0);
});
