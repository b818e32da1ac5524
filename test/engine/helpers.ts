// Shared by the engine tests: the cpu backend, a tiny config
// that keeps cpu steps in milliseconds, and deterministic images.
import * as tf from '@tensorflow/tfjs';
import { type TrainingConfig, resolveTrainingConfig } from '../../src/domain/trainingConfig.ts';
import { type ImageBatch, type MethodConfig, Prng, SimSiam, initBackend } from '../../src/engine/index.ts';

export async function setupBackend(): Promise<void> {
  await initBackend('cpu');
}

export function tinyConfig(overrides: Record<string, unknown> = {}): TrainingConfig {
  const resolved = resolveTrainingConfig({
    backbone: 'resnet-tiny',
    imageSize: 8,
    channels: 3,
    batchSize: 4,
    projectorDim: 16,
    epochs: 3,
    ...overrides,
  });
  if (!('config' in resolved)) throw new Error(JSON.stringify(resolved.issues));
  return resolved.config;
}

/** A SimSiam network alone (no trainer) on `tinyConfig(overrides)`. */
export function tinySimSiam(overrides: Record<string, unknown> = {}): SimSiam {
  return new SimSiam(tinyConfig(overrides) as MethodConfig<'simsiam'>, 8);
}

export function randomImages(n: number, size: number, channels: number, seed = 1): ImageBatch {
  const rng = new Prng(seed);
  const data = new Uint8Array(n * size * size * channels).map(() => rng.int(0, 255));
  return { data, shape: [n, size, size, channels] };
}

/** Flat copy of every value of a variable list (for bitwise comparisons). */
export function snapshot(variables: tf.Variable[]): Float32Array[] {
  return variables.map((v) => v.dataSync() as Float32Array).map((a) => a.slice());
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
