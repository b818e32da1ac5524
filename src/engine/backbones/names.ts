// The backbones a job can name. tfjs-free, so the API validates configs without loading the engine.
export const BACKBONES = ['resnet-tiny', 'resnet-small', 'resnet18-cifar', 'resnet18', 'resnet50', 'vit-micro', 'vit-tiny', 'vit-small'] as const;
export type BackboneName = (typeof BACKBONES)[number];

export const isVit = (name: BackboneName): boolean => name.startsWith('vit-');

/** A field that applies to ViT backbones only. `x-backbones` is published in the config schema, so
 *  clients (the dashboard's form) offer the field only for these backbones. */
export const VIT_ONLY = { 'x-backbones': BACKBONES.filter(isVit) } as const;
