// The backbones a job can choose (names.ts). Channel count and image size are free for ResNets (the
// stem adapts to the input channels and global pooling to any resolution); a ViT takes any channel
// count and image sizes that are multiples of its patch size (vitOptions.ts).
import type { BackboneName } from './names.ts';
import type { ResNetSpec } from './resnet.ts';
import type { VitSpec } from './vit.ts';

export type BackboneSpec = ({ family: 'resnet' } & ResNetSpec) | ({ family: 'vit' } & VitSpec);

export const BACKBONE_SPECS: Record<BackboneName, BackboneSpec> = {
  // 3 stages of one basic block, 16/32/64 channels: 77k parameters (RGB), for tests and small images
  'resnet-tiny': { family: 'resnet', stem: 'cifar', stemWidth: 16, block: 'basic', widths: [16, 32, 64], depths: [1, 1, 1] },
  // twice as wide and deep as tiny (32/64/128, 2 blocks per stage, 0.70M parameters): between
  // CIFAR ResNet-14 and -20 at double width, still trainable on CPU/wasm
  'resnet-small': { family: 'resnet', stem: 'cifar', stemWidth: 32, block: 'basic', widths: [32, 64, 128], depths: [2, 2, 2] },
  // the paper's CIFAR-10 backbone: ResNet-18 with a 3x3 stem and no max-pool
  'resnet18-cifar': { family: 'resnet', stem: 'cifar', stemWidth: 64, block: 'basic', widths: [64, 128, 256, 512], depths: [2, 2, 2, 2] },
  resnet18: { family: 'resnet', stem: 'imagenet', stemWidth: 64, block: 'basic', widths: [64, 128, 256, 512], depths: [2, 2, 2, 2] },
  resnet50: { family: 'resnet', stem: 'imagenet', stemWidth: 64, block: 'bottleneck', widths: [64, 128, 256, 512], depths: [3, 4, 6, 3] },
  // a CPU size for tests and small images: 4 heads of 32 channels, 1.2M parameters
  'vit-micro': { family: 'vit', dim: 128, depth: 6, heads: 4, mlpRatio: 4 },
  // DeiT-Ti (Touvron et al. 2021)
  'vit-tiny': { family: 'vit', dim: 192, depth: 12, heads: 3, mlpRatio: 4 },
  // DeiT-S / ViT-S, MoCo v3's smallest
  'vit-small': { family: 'vit', dim: 384, depth: 12, heads: 6, mlpRatio: 4 },
};
