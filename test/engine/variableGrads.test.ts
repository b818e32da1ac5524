// The engine's variableGrads against tfjs's: the same loss and gradients to the bit on a SimSiam
// step (cpu: composed batch norm; wasm: the native pack's fused kernels where built), fewer bytes of
// live tensors at the peak, no tensor left behind, also when the loss throws; inside another
// gradient it leaves that gradient's tape alone. And the engine's ReLU against tf.relu.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Prng } from '../../src/engine/index.ts';
import { variableGrads } from '../../src/engine/variableGrads.ts';
import { relu } from '../../src/engine/relu.ts';
import { ready } from './kernels/backends.ts';
import { type Grads, simsiamGradients, tinySimSiam } from './helpers.ts';

let kernels: string;
before(async () => {
  kernels = await ready({ native: true });
});

/** Loss and gradients of a SimSiam step with `grads`, as arrays; the peak bytes of live tensors meanwhile. */
async function simsiamStep(grads: Grads, n: number, size: number): Promise<{ values: Float32Array[]; peakBytes: number }> {
  const overrides = { channels: 1, imageSize: size, batchSize: n, projectorDim: 32, predictorHiddenDim: 16 };
  const model = tinySimSiam(overrides);
  const rng = new Prng(3);
  const view = () => tf.tensor4d(Float32Array.from({ length: n * size * size }, () => rng.normal()), [n, size, size, 1]);
  const views = [view(), view()];
  const tensorsBefore = tf.memory().numTensors;
  const result = await simsiamGradients(model, views, grads);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors left behind');
  tf.dispose(views);
  model.dispose();
  return result;
}

// cpu is slow: small images there
for (const [backend, n, size] of [['cpu', 4, 8], ['wasm', 16, 32]] as const) {
  test(`a SimSiam step on ${backend}: tfjs's loss and gradients to the bit, a lower peak`, async () => {
    await tf.setBackend(backend);
    const ours = await simsiamStep(variableGrads, n, size);
    const theirs = await simsiamStep(tf.variableGrads as Grads, n, size);
    assert.equal(ours.values.length, theirs.values.length);
    ours.values.forEach((v, i) => assert.deepEqual(v, theirs.values[i], `${i === 0 ? 'loss' : `gradient ${i - 1}`} (${backend}, ${kernels})`));
    // tfjs holds every saved activation and every gradient until the end of the backward pass
    assert.ok(ours.peakBytes < 0.75 * theirs.peakBytes, `peak ${ours.peakBytes} vs tfjs ${theirs.peakBytes} bytes`);
  });
}

test('a loss that throws leaves no tensor and no tape behind', async () => {
  await tf.setBackend('cpu');
  const v = tf.variable(tf.tensor1d([1, 2, 3]));
  const tensorsBefore = tf.memory().numTensors;
  assert.throws(() => variableGrads(() => {
    tf.relu(tf.mul(v, 2));
    throw new Error('boom');
  }, [v]), /boom/);
  assert.equal(tf.memory().numTensors, tensorsBefore);
  const { value, grads } = variableGrads(() => tf.sum(tf.square(v)), [v]);
  assert.deepEqual([...grads[v.name].dataSync()], [2, 4, 6]);
  tf.dispose([value, grads[v.name], v]);
});

test('inside another gradient the outer tape survives', async () => {
  await tf.setBackend('cpu');
  const v = tf.variable(tf.tensor1d([1, 2, 3]));
  // d/ds [sum(v^2 s) + sum(d/dv sum(v^2 s))] = v^2 + 2v
  const outer = tf.grad((s: tf.Tensor) => {
    const { value, grads } = variableGrads(() => tf.sum(tf.mul(tf.square(v), s)), [v]);
    return tf.add(value, tf.sum(grads[v.name]));
  })(tf.tensor1d([0.5, -1, 2]));
  assert.deepEqual([...outer.dataSync()], [3, 8, 15]);
  tf.dispose([outer, v]);
});

test("ReLU: tf.relu's value and gradient to the bit, zeros and negative zeros included", async () => {
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const x = tf.tensor1d([-2, -0, 0, 1e-30, -1e-30, 3.5, -7]);
    const dy = tf.tensor1d([1.5, -2, 3, -4, 5, -6, 7]);
    const [ours, theirs] = [relu, tf.relu].map((f) => {
      const { value, grad } = tf.valueAndGrad((a: tf.Tensor) => f(a))(x, dy);
      return [value.dataSync().slice(), grad.dataSync().slice()];
    });
    assert.deepEqual(ours, theirs, backend);
  }
});
