// Frozen-backbone features for evaluation and embedding: centre view, normalisation as in training,
// BN with running statistics, global-average-pooled backbone output (not the projector's).
import * as tf from '@tensorflow/tfjs';
import type { TrainingMethod } from './methods/method.ts';
import { type ImageInput, normalize, sliceImages, toUnitRange } from './augment.ts';

/** The loader delivers images at ~1.15x the training size: the eval crop keeps the central 1/1.15. */
export const EVAL_CROP_FRACTION = 1 / 1.15;

/** Centre crop (only when the input is larger than `size`) and bilinear resize to size x size. */
export function evalView(images: tf.Tensor4D, size: number): tf.Tensor4D {
  const [n, h, w] = images.shape;
  const short = Math.min(h, w);
  const side = short > size ? Math.max(size, Math.round(short * EVAL_CROP_FRACTION)) : short;
  const cropped = tf.slice(images, [0, Math.floor((h - side) / 2), Math.floor((w - side) / 2), 0], [n, side, side, -1]);
  return normalize(tf.image.resizeBilinear(cropped as tf.Tensor4D, [size, size], false, true));
}

export interface FeatureOptions {
  imageSize: number;
  batchSize?: number;
}

/** Backbone features of every image, [N, featureDim] row-major. */
export function extractFeatures(model: Pick<TrainingMethod, 'backbone' | 'featureDim'>, images: ImageInput, opts: FeatureOptions): Float32Array {
  const { imageSize, batchSize = 256 } = opts;
  const n = images.shape[0];
  const dim = model.featureDim;
  const out = new Float32Array(n * dim);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const f = tf.tidy(() => model.backbone(evalView(toUnitRange(sliceImages(images, start, count)), imageSize), false));
    out.set(f.dataSync(), start * dim);
    f.dispose();
  }
  return out;
}
