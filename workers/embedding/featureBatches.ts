// Frozen features of a dataset's images, batch by batch in the given order. Images that do not
// decode are left out (the loader counts them), so every yielded row has a vector. Each pass first
// warms the decoded-image cache a pack per GET, where the cache can hold the images.
import { decodedBytes } from '../../src/data/decode.ts';
import type { ImageLoader } from '../../src/data/loader.ts';
import type { FrozenModel } from '../../src/hosting/frozenModel.ts';
import type { Matrix } from '../../src/probe/linearProbe.ts';

const FEATURE_BATCH = 128;

export interface FeatureBatch {
  /** image indices of the rows, in order */
  indices: number[];
  /** [indices.length, featureDim] */
  features: Float32Array;
}

export async function* featureBatches(model: FrozenModel, loader: ImageLoader, order: number[]): AsyncGenerator<FeatureBatch> {
  await loader.warmCache();
  for await (const batch of loader.batches(order, FEATURE_BATCH, { dropLast: false })) {
    if (!batch.indices.length) continue;
    const features = await model.features(batch.pixels, batch.indices.length);
    yield { indices: batch.indices, features };
  }
}

export interface LabeledFeatures {
  x: Matrix;
  labels: Int32Array;
}

/** All features of `loader`'s images in memory, with class indices. */
export async function collectFeatures(model: FrozenModel, loader: ImageLoader, classOf: (index: number) => number): Promise<LabeledFeatures> {
  const features: Float32Array[] = [];
  const labels: number[] = [];
  for await (const batch of featureBatches(model, loader, loader.images.map((_, i) => i))) {
    features.push(batch.features);
    for (const i of batch.indices) labels.push(classOf(i));
  }
  return { x: { data: concat(features), rows: labels.length, dim: model.featureDim }, labels: Int32Array.from(labels) };
}

/** The decoded images themselves as rows scaled to [0, 1] (the raw-pixel baseline), with class indices. */
export async function collectPixels(loader: ImageLoader, classOf: (index: number) => number): Promise<LabeledFeatures> {
  const pixels: Uint8Array[] = [];
  const labels: number[] = [];
  await loader.warmCache();
  for await (const batch of loader.batches(loader.images.map((_, i) => i), FEATURE_BATCH, { dropLast: false })) {
    pixels.push(batch.pixels);
    for (const i of batch.indices) labels.push(classOf(i));
  }
  return { x: { data: concat(pixels, 255), rows: labels.length, dim: decodedBytes(loader.spec) }, labels: Int32Array.from(labels) };
}

/** The parts end to end, divided by `divisor`: straight into the result, without a joined copy of the parts. */
function concat(parts: Array<Float32Array | Uint8Array>, divisor = 1): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    if (divisor === 1) out.set(p, offset);
    else for (let i = 0; i < p.length; i++) out[offset + i] = p[i] / divisor;
    offset += p.length;
  }
  return out;
}
