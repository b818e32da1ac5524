// The contract of a training job's `config`: one JSON schema shared by the API (validation, defaults
// echoed back) and the engine (which trusts it). Defaults follow the official SimSiam recipe.
import { Ajv } from 'ajv';

export const BACKBONES = ['resnet-tiny', 'resnet-small', 'resnet18-cifar', 'resnet18', 'resnet50'] as const;
export type BackboneName = (typeof BACKBONES)[number];

export const augmentSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    cropScaleMin: { type: 'number', minimum: 0.01, maximum: 1, default: 0.2 },
    cropScaleMax: { type: 'number', minimum: 0.01, maximum: 1, default: 1 },
    colorJitterProb: { type: 'number', minimum: 0, maximum: 1, default: 0.8 },
    brightness: { type: 'number', minimum: 0, maximum: 1, default: 0.4 },
    contrast: { type: 'number', minimum: 0, maximum: 1, default: 0.4 },
    saturation: { type: 'number', minimum: 0, maximum: 1, default: 0.4 },
    hue: { type: 'number', minimum: 0, maximum: 0.5, default: 0.1 },
    grayscaleProb: { type: 'number', minimum: 0, maximum: 1, default: 0.2 },
    // 'auto' = on from 64 px up, as the paper drops blur for CIFAR-sized images
    blur: { enum: ['auto', 'on', 'off'], default: 'auto' },
    blurProb: { type: 'number', minimum: 0, maximum: 1, default: 0.5 },
    horizontalFlip: { type: 'boolean', default: true },
  },
} as const;

export const trainingConfigSchema = {
  $id: 'TrainingConfig',
  type: 'object',
  additionalProperties: false,
  properties: {
    backbone: { enum: BACKBONES, default: 'resnet-tiny' },
    imageSize: { type: 'integer', minimum: 8, maximum: 512, default: 32 },
    channels: { enum: [1, 3], default: 3 },
    epochs: { type: 'integer', minimum: 1, maximum: 10000, default: 20 },
    batchSize: { type: 'integer', minimum: 2, maximum: 4096, default: 128 },
    // lr = baseLr * batchSize / 256 (official code)
    baseLr: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.05 },
    momentum: { type: 'number', minimum: 0, maximum: 0.999, default: 0.9 },
    weightDecay: { type: 'number', minimum: 0, maximum: 0.1, default: 0.0001 },
    warmupEpochs: { type: 'integer', minimum: 0, maximum: 1000, default: 0 },
    fixPredictorLr: { type: 'boolean', default: true },
    projectorDim: { type: 'integer', minimum: 8, maximum: 8192, default: 2048 },
    // default d/4: the paper's bottleneck predictor
    predictorHiddenDim: { type: 'integer', minimum: 4, maximum: 8192 },
    projectorLayers: { enum: [2, 3], default: 3 },
    // false drops the BN after the projector's output fc (paper table 4)
    projectorOutputBn: { type: 'boolean', default: true },
    // ablations from the paper's tables
    stopGradient: { type: 'boolean', default: true },
    predictor: { enum: ['mlp', 'none'], default: 'mlp' },
    symmetric: { type: 'boolean', default: true },
    loss: { enum: ['negative-cosine', 'cross-entropy'], default: 'negative-cosine' },
    augment: augmentSchema,
    seed: { type: 'integer', minimum: 0, maximum: 2147483647, default: 0 },
    // worker-side knobs
    checkpointEveryEpochs: { type: 'integer', minimum: 1, maximum: 10000, default: 1 },
    checkpointEveryMinutes: { type: 'number', exclusiveMinimum: 0, maximum: 1440, default: 10 },
    keepCheckpoints: { type: 'integer', minimum: 1, maximum: 1000, default: 3 },
    knnEveryEpochs: { type: 'integer', minimum: 0, maximum: 10000, default: 1 },
    // collapse flag: std of l2-normalised z below threshold * 1/sqrt(d) for `collapsePatienceEpochs`
    collapseThreshold: { type: 'number', minimum: 0, maximum: 1, default: 0.25 },
    collapsePatienceEpochs: { type: 'integer', minimum: 1, maximum: 1000, default: 2 },
  },
} as const;

export interface AugmentConfig {
  cropScaleMin: number;
  cropScaleMax: number;
  colorJitterProb: number;
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  grayscaleProb: number;
  blur: 'auto' | 'on' | 'off';
  blurProb: number;
  horizontalFlip: boolean;
}

export interface TrainingConfig {
  backbone: BackboneName;
  imageSize: number;
  channels: 1 | 3;
  epochs: number;
  batchSize: number;
  baseLr: number;
  momentum: number;
  weightDecay: number;
  warmupEpochs: number;
  fixPredictorLr: boolean;
  projectorDim: number;
  predictorHiddenDim: number;
  projectorLayers: 2 | 3;
  projectorOutputBn: boolean;
  stopGradient: boolean;
  predictor: 'mlp' | 'none';
  symmetric: boolean;
  loss: 'negative-cosine' | 'cross-entropy';
  augment: AugmentConfig;
  seed: number;
  checkpointEveryEpochs: number;
  checkpointEveryMinutes: number;
  keepCheckpoints: number;
  knnEveryEpochs: number;
  collapseThreshold: number;
  collapsePatienceEpochs: number;
}

export interface ConfigIssue {
  field: string;
  message: string;
}

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });
const validate = ajv.compile(trainingConfigSchema);

/** The stored config of an accepted job (validated when the job was created). */
export function jobTrainingConfig(raw: unknown): TrainingConfig {
  const resolved = resolveTrainingConfig(raw);
  if ('issues' in resolved) throw new Error(`job config is invalid: ${resolved.issues.map((i) => `${i.field} ${i.message}`).join('; ')}`);
  return resolved.config;
}

/** Validates a user config and fills every default; returns the issues (field named) when invalid. */
export function resolveTrainingConfig(input: unknown): { config: TrainingConfig } | { issues: ConfigIssue[] } {
  const candidate = structuredClone(input ?? {});
  if (!validate(candidate)) {
    return {
      issues: (validate.errors ?? []).map((e) => ({
        field:
          e.keyword === 'additionalProperties'
            ? `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}`.replace(/^\//, '').replaceAll('/', '.')
            : e.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)',
        message: e.message ?? 'invalid',
      })),
    };
  }
  const config = candidate as TrainingConfig;
  config.predictorHiddenDim ??= Math.max(4, Math.floor(config.projectorDim / 4));
  return { config };
}
