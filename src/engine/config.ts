// The engine's contract: what a training run is configured with. Fields shared by every method live
// here; each method adds its own (methods/settings.ts) and may change the shared defaults to its
// paper's recipe. Plain JSON schemas with defaults: the service validates with them and derives its
// API schema from them; the types below are derived from the same declarations.
import { BACKBONES } from './backbones/names.ts';
import { fillVitDefaults, vitConfigIssues, vitProperties } from './backbones/vitOptions.ts';
import { type FromProperties, withDefaults } from './schema.ts';
import { METHOD_SETTINGS, type MethodName } from './methods/settings.ts';

export { BACKBONES, type BackboneName } from './backbones/names.ts';
export { METHODS, type MethodName } from './methods/settings.ts';

export const augmentProperties = {
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
} as const;

export const sharedProperties = {
  backbone: { enum: BACKBONES, default: 'resnet-tiny' },
  imageSize: { type: 'integer', minimum: 8, maximum: 512, default: 32 },
  // ViT backbones only (filled for them, absent otherwise)
  ...vitProperties,
  channels: { enum: [1, 3], default: 3 },
  epochs: { type: 'integer', minimum: 1, maximum: 10000, default: 20 },
  batchSize: { type: 'integer', minimum: 2, maximum: 4096, default: 128 },
  // lr = baseLr * batchSize / 256, cosine-decayed per epoch after the warm-up
  baseLr: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.05 },
  momentum: { type: 'number', minimum: 0, maximum: 0.999, default: 0.9 },
  weightDecay: { type: 'number', minimum: 0, maximum: 0.1, default: 0.0001 },
  // 'lars': SGD with layer-wise trust ratios (You et al. 2017) as SimCLR uses it; BN parameters and
  // biases keep the plain lr and get no weight decay. 'adamw': Adam with decoupled weight decay
  // (Loshchilov & Hutter 2019) as MoCo v3 trains ViTs; norms, biases, position embeddings and the
  // class token get no weight decay. `momentum` is SGD's and LARS's only.
  optimizer: { enum: ['sgd', 'lars', 'adamw'], default: 'sgd' },
  // clip the gradient to this global L2 norm before the update (torch clip_grad_norm_); null = off
  gradClip: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: 1000000, default: null },
  warmupEpochs: { type: 'integer', minimum: 0, maximum: 1000, default: 0 },
  augment: { type: 'object', additionalProperties: false, default: {}, properties: augmentProperties },
  seed: { type: 'integer', minimum: 0, maximum: 2147483647, default: 0 },
} as const;

export type AugmentConfig = FromProperties<typeof augmentProperties>;
type Shared = FromProperties<typeof sharedProperties>;

/** The resolved config of one method: shared fields with its defaults, plus its own. */
export type MethodConfig<M extends MethodName> = Shared & { method: M } & FromProperties<(typeof METHOD_SETTINGS)[M]['properties']>;

/** A resolved engine config; `method` tells which of the methods' fields it has. */
export type EngineConfig = { [M in MethodName]: MethodConfig<M> }[MethodName];

/** The object schema of one method's config (additional properties refused, every default set). */
export function methodConfigSchema(method: MethodName) {
  const { defaults, properties } = METHOD_SETTINGS[method];
  return {
    type: 'object',
    additionalProperties: false,
    properties: { method: { const: method, default: method }, ...withDefaults(sharedProperties, defaults), ...properties },
  } as const;
}

/** The methods that declare `field` as their own. */
export function methodsOwning(field: string): MethodName[] {
  return (Object.keys(METHOD_SETTINGS) as MethodName[]).filter((m) => field in METHOD_SETTINGS[m].properties);
}

/** Fields whose default is derived from other fields (filled after schema defaults). */
export function fillDerivedDefaults(config: EngineConfig): EngineConfig {
  const settings = METHOD_SETTINGS[config.method];
  settings.derive?.(config as never);
  // after the method's: the memory estimate reads its derived sizes (SwAV's small crops)
  fillVitDefaults(config as never, settings.targetViews?.(config as never) ?? 0);
  return config;
}

/** Fields of a resolved config that do not fit the rest of it (beyond what its schema checks). */
export function configIssues(config: EngineConfig): Array<{ field: string; message: string }> {
  return [...vitConfigIssues(config), ...(METHOD_SETTINGS[config.method].check?.(config as never) ?? [])];
}

/** The engine fields of a config that may also hold other (the service's) fields. */
export function engineFields(config: Record<string, unknown>): Record<string, unknown> {
  const method = (config.method ?? 'simsiam') as MethodName;
  const known = methodConfigSchema(method in METHOD_SETTINGS ? method : 'simsiam').properties;
  return Object.fromEntries(Object.entries(config).filter(([k]) => k in known));
}
