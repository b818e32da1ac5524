// A ViT's config fields (patch size, position embedding, pooling, block recomputation) and their
// defaults. tfjs-free: the API validates with them. They are filled only for ViT backbones, so
// ResNet configs (and their checkpoints) stay as they were.
import { type BackboneName, isVit, VIT_ONLY } from './names.ts';
import { BACKBONE_SPECS } from './specs.ts';
import type { VitSpec } from './vit.ts';

export const vitProperties = {
  // pixels per patch side; the image size (and SwAV's small crops) must be a multiple. Default: 4 up
  // to 32 px (8x8 tokens on CIFAR, 7x7 on 28 px), 8 up to 112 px, 16 above (14x14 at 224 px)
  patchSize: { type: 'integer', minimum: 1, maximum: 64, ...VIT_ONLY },
  // 'sincos': fixed 2-D sin-cos (MoCo v3: more stable than learned); 'learned': trained, trunc-normal 0.02
  posEmbed: { enum: ['sincos', 'learned'], ...VIT_ONLY },
  // features: the class token after the final LayerNorm, or the mean of the patch tokens
  pool: { enum: ['cls', 'mean'], ...VIT_ONLY },
  // recompute each block's activations in the backward pass instead of holding them (recompute.ts):
  // one more forward pass for a fraction of the memory. Default: on when the activations a step
  // would hold exceed ACTIVATION_BUDGET_BYTES. The gradients are the same either way
  checkpointBlocks: { type: 'boolean', ...VIT_ONLY },
} as const;

export interface VitOptions {
  patchSize: number;
  posEmbed: 'sincos' | 'learned';
  pool: 'cls' | 'mean';
}

export function defaultPatchSize(imageSize: number): number {
  return imageSize <= 32 ? 4 : imageSize <= 112 ? 8 : 16;
}

type VitFields = { backbone: BackboneName; imageSize: number } & Partial<VitOptions>;

/** The resolved options of a config (defaults for the fields it leaves out). */
export function vitOptionsOf(config: VitFields): VitOptions {
  return { patchSize: config.patchSize ?? defaultPatchSize(config.imageSize), posEmbed: config.posEmbed ?? 'sincos', pool: config.pool ?? 'cls' };
}

/**
 * What the activations a step holds are weighed against: the wasm backend's heap (32-bit, at most
 * 4 GiB) must also hold the gradients of the backward pass beside what is still saved, the weights
 * and optimizer state, and it grows in steps and fragments, so its peak runs to over twice the
 * activations. vit-tiny at 32 px fits at batch 32 and not at 48 (docs/vit.md).
 */
export const ACTIVATION_BUDGET_BYTES = 1.5 * 1024 ** 3;

/**
 * float32 bytes one ViT block holds from its forward pass until the end of it, for `images` images
 * of `tokens` tokens each: every intermediate of a block stays allocated until the loss's forward
 * pass ends. Per token, 23 rows of `dim` (the two norms; qkv before and after its bias, transposed
 * and split; q scaled; the heads' output and its transpose; the projection before and after its
 * bias; the fc2 likewise; both residual sums), 3 of the MLP width (fc1 before and after its bias,
 * GELU) and, per head, a row of attention scores and one of their softmax.
 */
export function vitBlockActivationBytes(spec: VitSpec, images: number, tokens: number): number {
  return 4 * images * tokens * (23 * spec.dim + 3 * spec.dim * spec.mlpRatio + 2 * spec.heads * tokens);
}

type MemoryFields = VitFields & { batchSize: number; smallCrops?: number; smallCropSize?: number };

/**
 * The activations a step of a ViT config holds without recomputation: the two views under the
 * tape, SwAV's small crops, and the `targetViews` a momentum or target encoder encodes before the
 * tape (their intermediates live until the step ends).
 */
export function vitStepActivationBytes(config: MemoryFields, targetViews: number): number {
  const spec = BACKBONE_SPECS[config.backbone];
  if (spec.family !== 'vit') return 0;
  const { patchSize } = vitOptionsOf(config);
  const tokens = (size: number) => 1 + (size / patchSize) ** 2;
  const large = vitBlockActivationBytes(spec, config.batchSize * (2 + targetViews), tokens(config.imageSize));
  const small = config.smallCrops && config.smallCropSize ? vitBlockActivationBytes(spec, config.batchSize * config.smallCrops, tokens(config.smallCropSize)) : 0;
  return spec.depth * (large + small);
}

/** Writes the defaults into a ViT config (the API echoes them back); `targetViews` as in
 * vitStepActivationBytes. */
export function fillVitDefaults(config: MemoryFields & { checkpointBlocks?: boolean }, targetViews: number): void {
  if (!isVit(config.backbone)) return;
  Object.assign(config, vitOptionsOf(config));
  config.checkpointBlocks ??= vitStepActivationBytes(config, targetViews) > ACTIVATION_BUDGET_BYTES;
}

/** Why a config's ViT fields cannot run: set on a ResNet, or sizes that are not a multiple of the patch. */
export function vitConfigIssues(config: VitFields & { smallCrops?: number; smallCropSize?: number }): Array<{ field: string; message: string }> {
  const fields = Object.keys(vitProperties).filter((f) => (config as Record<string, unknown>)[f] !== undefined);
  if (!isVit(config.backbone)) return fields.map((field) => ({ field, message: `applies to ViT backbones only, not '${config.backbone}'` }));
  const { patchSize } = vitOptionsOf(config);
  const sizes: Array<[string, number | undefined]> = [['imageSize', config.imageSize], ['smallCropSize', config.smallCrops ? config.smallCropSize : undefined]];
  return sizes
    .filter(([, size]) => size !== undefined && size % patchSize !== 0)
    .map(([field, size]) => ({ field, message: `${size} px is not a multiple of patchSize ${patchSize}` }));
}
