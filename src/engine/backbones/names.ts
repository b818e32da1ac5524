// The backbones a job can name. tfjs-free, so the API validates configs without loading the engine.
export const BACKBONES = ['resnet-tiny', 'resnet-small', 'resnet18-cifar', 'resnet18', 'resnet50', 'vit-micro', 'vit-tiny', 'vit-small'] as const;
export type BackboneName = (typeof BACKBONES)[number];

export const isVit = (name: BackboneName): boolean => name.startsWith('vit-');
