import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { type AugmentSettings, type ImageInput, NORMALIZATION, Prng, augmentViews } from '../../src/engine/index.ts';

const twoViews = (images: ImageInput, s: AugmentSettings, rng: Prng) => augmentViews(images, s, rng, [{ count: 2, size: s.imageSize }]);
import { randomImages, setupBackend, tinyConfig } from './helpers.ts';

before(setupBackend);

const settings = (channels: 1 | 3, imageSize: number, augment: Record<string, unknown> = {}) => tinyConfig({ channels, imageSize, augment });

/** Back to [0, 1] pixel units. */
function denormalize(x: tf.Tensor4D): Float32Array {
  const { mean, std } = NORMALIZATION[x.shape[3] as 1 | 3];
  return tf.add(tf.mul(x, std), mean).dataSync() as Float32Array;
}

test('two views: float32 [N,S,S,C], pixels in [0,1] before normalisation, views differ', () => {
  for (const channels of [1, 3] as const) {
    const images = randomImages(5, 11, channels);
    const [a, b] = twoViews(images, settings(channels, 9, { blur: 'on' }), new Prng(7));
    assert.deepEqual(a.shape, [5, 9, 9, channels]);
    assert.equal(a.dtype, 'float32');
    for (const v of [a, b]) for (const p of denormalize(v)) assert.ok(p >= -1e-5 && p <= 1 + 1e-5, `pixel ${p}`);
    assert.ok(tf.abs(tf.sub(a, b)).max().dataSync()[0] > 0.1);
  }
});

test('views are a pure function of the PRNG state: same seed, same bits; the state advances', () => {
  const images = randomImages(4, 10, 3);
  const cfg = settings(3, 8, { blur: 'on' });
  const rng1 = new Prng(42);
  const rng2 = new Prng(42);
  const [a1, b1] = twoViews(images, cfg, rng1);
  const [a2, b2] = twoViews(images, cfg, rng2);
  assert.deepEqual(a1.dataSync(), a2.dataSync());
  assert.deepEqual(b1.dataSync(), b2.dataSync());
  assert.deepEqual(rng1.state(), rng2.state());
  // restoring a saved state replays the next draw
  const saved = rng1.state();
  const [next] = twoViews(images, cfg, rng1);
  const [replay] = twoViews(images, cfg, new Prng(saved));
  assert.deepEqual(next.dataSync(), replay.dataSync());
  assert.notDeepEqual(next.dataSync(), a1.dataSync());
});

test('a crop box with x1 > x2 mirrors horizontally (the flip relies on it)', () => {
  const img = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
  const ind = tf.tensor1d([0], 'int32');
  const straight = tf.image.cropAndResize(img, tf.tensor2d([[0, 0, 1, 1]]), ind, [2, 3]);
  const mirrored = tf.image.cropAndResize(img, tf.tensor2d([[0, 1, 1, 0]]), ind, [2, 3]);
  assert.deepEqual([...straight.dataSync()], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...mirrored.dataSync()], [3, 2, 1, 6, 5, 4]);
});

test('grayscale with p = 1 makes the three channels equal', () => {
  const [a] = twoViews(randomImages(3, 8, 3), settings(3, 8, { grayscaleProb: 1, colorJitterProb: 0 }), new Prng(1));
  const px = denormalize(a);
  for (let i = 0; i < px.length; i += 3) assert.ok(Math.abs(px[i] - px[i + 1]) < 1e-5 && Math.abs(px[i] - px[i + 2]) < 1e-5);
});

test('gaussian blur smooths a checkerboard; blur: auto stays off below 64 px', () => {
  const size = 16;
  const data = new Uint8Array(size * size).map((_, i) => ((i % size) + Math.floor(i / size)) % 2 ? 255 : 0);
  const images = { data, shape: [1, size, size, 1] as [number, number, number, number] };
  // full-image crop (scale 1, any ratio fits a square after the fallback), no other colour op
  const base = { cropScaleMin: 1, cropScaleMax: 1, colorJitterProb: 0, horizontalFlip: false };
  const std = (augment: Record<string, unknown>) => tf.moments(twoViews(images, settings(1, size, { ...base, ...augment }), new Prng(3))[0]).variance.sqrt().dataSync()[0];
  const sharp = std({ blur: 'on', blurProb: 0 });
  assert.ok(std({ blur: 'on', blurProb: 1 }) < 0.8 * sharp);
  assert.equal(std({ blur: 'auto', blurProb: 1 }), sharp);
});
