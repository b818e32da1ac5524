// Public API of the SimSiam engine: tensors/bytes in, tensors/bytes out (no HTTP, SQL or S3).
export { type BackendInfo, type BackendName, canTrainConvolutions, initBackend } from './backend.ts';
export { Trainer, type StepResult } from './trainer.ts';
export { SimSiamModel, type ModelConfig } from './simsiam.ts';
export { BACKBONE_SPECS } from './backbones/specs.ts';
export type { ResNetSpec } from './backbones/resnet.ts';
export { featureDim } from './backbones/shape.ts';
export { type AugmentSettings, type ImageBatch, type ImageInput, NORMALIZATION, twoViews } from './augment.ts';
export { EVAL_CROP_FRACTION, type FeatureOptions, evalView, extractFeatures } from './features.ts';
export { type KnnOptions, collapseStd, knnAccuracy, knnPredict } from './monitors.ts';
export { type LossOptions, crossEntropySimilarity, negativeCosine, simsiamLoss, stopGradient } from './loss.ts';
export { initialLr, scheduledLr } from './schedule.ts';
export { type CheckpointContents, type NamedArray, decodeCheckpoint, encodeCheckpoint } from './checkpoint.ts';
export { Prng, type PrngState } from './prng.ts';
