// A linear probe holds all its rows in memory at once (src/probe/linearProbe.ts trains on every row
// each epoch): the backbone's features of the train and test images, and with the baselines a
// second set of features (random init) and the decoded images as floats (raw pixels). Their size
// follows from the job's config and the image counts, so a probe that cannot fit is refused before
// any image is decoded, not left to run a worker out of memory (and be retried into it again).
import { decodedBytes, type DecodeSpec } from '../data/decode.ts';
import type { Baseline } from './baselines.ts';
import type { TrainingConfig } from '../domain/trainingConfig.ts';
import { BACKBONE_SPECS } from '../engine/backbones/specs.ts';
import { featureDim } from '../engine/backbones/shape.ts';

/** Bytes of the matrices a probe of `images` images (train + test) holds together. */
function probeMatrixBytes(config: TrainingConfig, images: number, baselines: readonly Baseline[], rawPixels: DecodeSpec): number {
  const features = featureDim(BACKBONE_SPECS[config.backbone]);
  const pixels = decodedBytes(rawPixels);
  const floatsPerImage = features * (baselines.includes('random-init') ? 2 : 1) + (baselines.includes('raw-pixels') ? pixels : 0);
  return images * floatsPerImage * Float32Array.BYTES_PER_ELEMENT;
}

export interface ProbeOverBudget {
  bytes: number;
  limitBytes: number;
  message: string;
}

/** How far a probe is over `limitBytes`, or null when it fits; `rawPixels` is how that baseline decodes. */
export function probeOverBudget(config: TrainingConfig, images: number, baselines: readonly Baseline[], rawPixels: DecodeSpec, limitBytes: number): ProbeOverBudget | null {
  const bytes = probeMatrixBytes(config, images, baselines, rawPixels);
  if (bytes <= limitBytes) return null;
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;
  const pixels = baselines.includes('raw-pixels') ? ' (the raw-pixels baseline is usually most of it)' : '';
  return {
    bytes,
    limitBytes,
    message: `a probe of ${images} images needs ${gib(bytes)} of feature matrices, over the limit of ${gib(limitBytes)} (PROBE_MAX_MATRIX_BYTES)${pixels}; probe fewer images or drop a baseline`,
  };
}
