// ResNet stems. ImageNet: 7x7/2 conv + 3x3/2 max-pool (4x downsampling, for >= ~64 px inputs).
// CIFAR: one 3x3/1 conv and no pooling, so 32 px images keep their resolution.
import * as tf from '@tensorflow/tfjs';
import { type Ctx, conv2d } from '../layers.ts';
import { batchNorm } from '../batchNorm.ts';

export type StemKind = 'imagenet' | 'cifar';

export function stem(ctx: Ctx, kind: StemKind, x: tf.Tensor4D, width: number): tf.Tensor4D {
  const k = kind === 'imagenet' ? 7 : 3;
  const s = kind === 'imagenet' ? 2 : 1;
  const y = tf.relu(batchNorm(ctx, 'stem.bn', conv2d(ctx, 'stem.conv', x, width, k, s)));
  return kind === 'imagenet' ? tf.maxPool(y, 3, 2, 1) : y;
}
