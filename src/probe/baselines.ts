// What a linear probe of a trained backbone is compared with, on the same images and labels: a
// randomly initialised backbone of the same architecture, and raw pixels. Raw pixels are read at the
// dataset's native resolution and channels (784-d for 28x28 grayscale), not at the model's decode
// size: resampling to the training size (and its 1.15x crop headroom) would change the baseline.
import type { DecodeSpec } from '../data/decode.ts';
import type { DatasetShape } from '../domain/dataDefaults.ts';

export const BASELINES = ['random-init', 'raw-pixels'] as const;
export type Baseline = (typeof BASELINES)[number];

/** How raw-pixel rows are decoded: the dataset's median shorter side (every side for uniform sets). */
export const rawPixelSpec = (shape: DatasetShape): DecodeSpec => ({ size: shape.medianSide, channels: shape.channels });
