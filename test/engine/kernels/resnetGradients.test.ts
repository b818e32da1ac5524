// End to end: every gradient of a small ResNet-like SimSiam-style graph (conv, BN in train mode,
// ReLU, max-pool, residual, avg-pool, global mean, matmul, cosine loss) agrees between wasm and cpu.
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, onBothBackends, randomValues, ready } from './backends.ts';

before(() => ready());

const shapes: Record<string, number[]> = {
  stem: [3, 3, 3, 8], w1: [3, 3, 8, 16], w2: [3, 3, 16, 16], short: [1, 1, 8, 16],
  gamma: [16], beta: [16], fc: [16, 6],
};

function loss(x: tf.Tensor4D, p: Record<string, tf.Tensor>): tf.Scalar {
  const bn = (h: tf.Tensor4D): tf.Tensor4D => {
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    return tf.batchNorm4d(h, mean as tf.Tensor1D, variance as tf.Tensor1D, p.beta as tf.Tensor1D, p.gamma as tf.Tensor1D, 1e-5);
  };
  let h: tf.Tensor4D = tf.relu(tf.conv2d(x, p.stem as tf.Tensor4D, 1, 'same'));
  h = tf.maxPool(h, 3, 2, 'same');
  const shortcut = tf.conv2d(h, p.short as tf.Tensor4D, 2, 'valid');
  let r: tf.Tensor4D = tf.relu(bn(tf.conv2d(h, p.w1 as tf.Tensor4D, 2, 'same')));
  r = bn(tf.conv2d(r, p.w2 as tf.Tensor4D, 1, 'same'));
  h = tf.avgPool(tf.relu(tf.add(r, shortcut)) as tf.Tensor4D, 2, 1, 'same');
  const z = tf.matMul(tf.mean(h, [1, 2]), p.fc as tf.Tensor2D);
  const half = z.shape[0] / 2;
  const [a, b] = tf.split(tf.div(z, tf.norm(z, 2, 1, true)), [half, half]);
  return tf.neg(tf.mean(tf.sum(tf.mul(a, b), 1))) as tf.Scalar;
}

test('ResNet-like graph: all gradients on wasm match cpu', async () => {
  const names = Object.keys(shapes);
  const { cpu, wasm } = await onBothBackends(() => {
    const x = tf.tensor4d(randomValues([4, 11, 11, 3], 7), [4, 11, 11, 3]);
    const params = names.map((name, i) => tf.tensor(randomValues(shapes[name], 11 + i), shapes[name]));
    const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => loss(x, Object.fromEntries(names.map((n, i) => [n, ps[i]]))))(params);
    return [value, ...grads];
  });
  assertClose(wasm[0], cpu[0], 'loss');
  names.forEach((name, i) => assertClose(wasm[i + 1], cpu[i + 1], `d${name}`));
});
