import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Trainer, evalView } from '../../src/engine/index.ts';
import { randomImages, setupBackend, tinyConfig } from './helpers.ts';

before(setupBackend);

test('features: [N, featureDim], deterministic, independent of batch composition (BN in inference mode)', () => {
  const t = new Trainer(tinyConfig({ channels: 1 }), 1);
  t.step(randomImages(4, 9, 1)); // running statistics move away from their init
  const images = randomImages(5, 9, 1, 3);
  const before = tf.memory().numTensors;
  const all = t.features(images, { batchSize: 2 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(all.length, 5 * t.featureDim);
  assert.deepEqual(t.features(images, { batchSize: 5 }), all);
  const alone = t.features({ data: images.data.subarray(2 * 81, 3 * 81), shape: [1, 9, 9, 1] });
  assert.deepEqual(alone, all.subarray(2 * 64, 3 * 64));
  // tensor input gives the same as bytes
  const asTensor = tf.tensor4d(Array.from(images.data), images.shape, 'int32');
  assert.deepEqual(t.features(asTensor), all);
  t.dispose();
});

test('eval view: centre crop of 1/1.15 only for larger inputs, then resize', () => {
  const ramp = tf.tensor4d(Array.from({ length: 23 * 23 }, (_, i) => i % 23), [1, 23, 23, 1]);
  assert.deepEqual(evalView(ramp, 20).shape, [1, 20, 20, 1]);
  // 23 px at size 20: a 20 px crop starting at column 1 -> first column is pixel 1 (normalised)
  const first = evalView(ramp, 20).slice([0, 0, 0, 0], [1, 1, 1, 1]).dataSync()[0];
  assert.ok(Math.abs(first - (1 - 0.449) / 0.226) < 1e-4, `${first}`);
  assert.deepEqual(evalView(tf.zeros([2, 8, 8, 3]) as tf.Tensor4D, 8).shape, [2, 8, 8, 3]);
});
