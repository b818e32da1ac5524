// Shared by the engine tests: the cpu backend, a tiny config
// that keeps cpu steps in milliseconds, and deterministic images.
import * as tf from '@tensorflow/tfjs';
import { type TrainingConfig, resolveTrainingConfig } from '../../src/domain/trainingConfig.ts';
import { type ImageBatch, type MethodConfig, Prng, SimSiam, initBackend, simsiamLoss } from '../../src/engine/index.ts';

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

export type Grads = (f: () => tf.Scalar, variables: tf.Variable[]) => { value: tf.Scalar; grads: tf.NamedTensorMap };

/** A symmetric SimSiam loss's value and trainable gradients on views x1, x2 with `grads`, as arrays
 * (value first); the peak bytes of live tensors meanwhile. */
export async function simsiamGradients(model: SimSiam, [x1, x2]: tf.Tensor4D[], grads: Grads): Promise<{ values: Float32Array[]; peakBytes: number }> {
  const variables = model.store.list().filter((p) => p.trainable).map((p) => p.variable);
  const loss = () => {
    const z1 = model.encode('', x1, true);
    const z2 = model.encode('', x2, true);
    return simsiamLoss({ z1, z2, p1: model.predict(z1, true), p2: model.predict(z2, true) }, { stopGradient: true, symmetric: true, loss: 'negative-cosine' });
  };
  let values: Float32Array[] = [];
  const { peakBytes } = await tf.profile(() => {
    const outs = tf.tidy(() => {
      const { value, grads: g } = grads(loss, variables);
      return [value, ...variables.map((v) => g[v.name])];
    });
    values = outs.map((t) => (t.dataSync() as Float32Array).slice());
    tf.dispose(outs);
  });
  return { values, peakBytes };
}
