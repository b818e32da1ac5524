// Public API of the engine: tensors/bytes in, tensors/bytes out (no HTTP, SQL or S3).
export { type BackendInfo, type BackendName, canTrainConvolutions, initBackend } from './backend.ts';
export { Trainer, type StepResult } from './trainer.ts';
export { type AugmentConfig, type EngineConfig, type MethodConfig, BACKBONES, type BackboneName, METHODS, type MethodName } from './config.ts';
export { type StepContext, type TrainingMethod, type ViewSpec } from './methods/method.ts';
export { SimSiam } from './methods/simsiam.ts';
export { BACKBONE_SPECS } from './backbones/specs.ts';
export type { ResNetSpec } from './backbones/resnet.ts';
export { featureDim } from './backbones/shape.ts';
export { type AugmentSettings, type ImageBatch, type ImageInput, NORMALIZATION, augmentViews } from './augment.ts';
export { EVAL_CROP_FRACTION, type FeatureOptions, evalView, extractFeatures } from './features.ts';
export { type KnnOptions, collapseStd, knnAccuracy, knnPredict } from './monitors.ts';
export { type LossOptions, crossEntropySimilarity, negativeCosine, simsiamLoss, stopGradient } from './losses.ts';
export { initialLr, scheduledLr } from './schedule.ts';
export { type CheckpointContents, type NamedArray, decodeCheckpoint, encodeCheckpoint } from './checkpoint.ts';
export { Prng, type PrngState } from './prng.ts';
