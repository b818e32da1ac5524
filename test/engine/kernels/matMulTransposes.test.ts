import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, onBothBackends, randomValues, ready } from './backends.ts';

before(() => ready());

const operand = (shape: number[], seed: number) => tf.tensor(randomValues(shape, seed), shape);
const swap = (shape: number[], transposed: boolean) => (transposed ? [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]] : shape);

for (const [aShape, bShape] of [[[5, 7], [7, 3]], [[2, 5, 7], [2, 7, 16]], [[3, 4, 6], [1, 6, 5]]]) {
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      test(`BatchMatMul matches cpu: ${aShape.join('x')} x ${bShape.join('x')} transposeA=${transposeA} transposeB=${transposeB}`, async () => {
        const { cpu, wasm } = await onBothBackends(() => [
          tf.matMul(operand(swap(aShape, transposeA), 1), operand(swap(bShape, transposeB), 2), transposeA, transposeB),
        ]);
        assertClose(wasm[0], cpu[0], 'product');
      });
    }
  }
}

test('_FusedMatMul (bias, relu) with transposed operands matches cpu', async () => {
  const { cpu, wasm } = await onBothBackends(() => [
    tf.fused.matMul({ a: operand([7, 5], 3), b: operand([16, 7], 4), transposeA: true, transposeB: true, bias: operand([16], 5), activation: 'relu' }),
  ]);
  assertClose(wasm[0], cpu[0], 'product');
});

test('matmul gradients on wasm match cpu', async () => {
  const { cpu, wasm } = await onBothBackends(() =>
    tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, b))))([operand([9, 33], 6), operand([33, 17], 7)]),
  );
  assertClose(wasm[0], cpu[0], 'da');
  assertClose(wasm[1], cpu[1], 'db');
});
