// The backbones a job can choose (names.ts). Channel count and image size are
// free: the stem adapts to the input channels and global pooling to any resolution.
import type { BackboneName } from './names.ts';
import type { ResNetSpec } from './resnet.ts';

export const BACKBONE_SPECS: Record<BackboneName, ResNetSpec> = {
  // 3 stages of one basic block, 16/32/64 channels: 77k parameters (RGB), for tests and small images
  'resnet-tiny': { stem: 'cifar', stemWidth: 16, block: 'basic', widths: [16, 32, 64], depths: [1, 1, 1] },
  // twice as wide and deep as tiny (32/64/128, 2 blocks per stage, 0.70M parameters): between
  // CIFAR ResNet-14 and -20 at double width, still trainable on CPU/wasm
  'resnet-small': { stem: 'cifar', stemWidth: 32, block: 'basic', widths: [32, 64, 128], depths: [2, 2, 2] },
  // the paper's CIFAR-10 backbone: ResNet-18 with a 3x3 stem and no max-pool
  'resnet18-cifar': { stem: 'cifar', stemWidth: 64, block: 'basic', widths: [64, 128, 256, 512], depths: [2, 2, 2, 2] },
  resnet18: { stem: 'imagenet', stemWidth: 64, block: 'basic', widths: [64, 128, 256, 512], depths: [2, 2, 2, 2] },
  resnet50: { stem: 'imagenet', stemWidth: 64, block: 'bottleneck', widths: [64, 128, 256, 512], depths: [3, 4, 6, 3] },
};
