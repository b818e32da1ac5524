// A ViT's config fields (patch size, position embedding, pooling) and their defaults. tfjs-free: the
// API validates with them. They are filled only for ViT backbones, so ResNet configs (and their
// checkpoints) stay as they were.
import { type BackboneName, isVit } from './names.ts';

export const vitProperties = {
  // pixels per patch side; the image size (and SwAV's small crops) must be a multiple. Default: 4 up
  // to 32 px (8x8 tokens on CIFAR, 7x7 on 28 px), 8 up to 112 px, 16 above (14x14 at 224 px)
  patchSize: { type: 'integer', minimum: 1, maximum: 64 },
  // 'sincos': fixed 2-D sin-cos (MoCo v3: more stable than learned); 'learned': trained, trunc-normal 0.02
  posEmbed: { enum: ['sincos', 'learned'] },
  // features: the class token after the final LayerNorm, or the mean of the patch tokens
  pool: { enum: ['cls', 'mean'] },
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

/** Writes the defaults into a ViT config (the API echoes them back). */
export function fillVitDefaults(config: VitFields): void {
  if (isVit(config.backbone)) Object.assign(config, vitOptionsOf(config));
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
