// ResNet stems. ImageNet: 7x7/2 conv + 3x3/2 max-pool (4x downsampling, for >= ~64 px inputs).
// CIFAR: one 3x3/1 conv and no pooling, so 32 px images keep their resolution.
import type { NetOps } from './ops.ts';

export type StemKind = 'imagenet' | 'cifar';

export function stem<T>(ops: NetOps<T>, kind: StemKind, x: T, width: number): T {
  const imagenet = kind === 'imagenet';
  const y = ops.relu(ops.convBn('stem', x, width, imagenet ? 7 : 3, imagenet ? 2 : 1));
  return imagenet ? ops.maxPool('stem.pool', y, 3, 2) : y;
}
