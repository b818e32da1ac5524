// The backbones a job can name. tfjs-free, so the API validates configs without loading the engine.
export const BACKBONES = ['resnet-tiny', 'resnet-small', 'resnet18-cifar', 'resnet18', 'resnet50'] as const;
export type BackboneName = (typeof BACKBONES)[number];
