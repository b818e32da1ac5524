// Residual blocks (He et al. 2016; torchvision v1.5: the stride sits on the 3x3 conv). The last BN of
// each block starts with gamma = 0 so every block is the identity at init (zero_init_residual=True,
// as in the official SimSiam code).
import * as tf from '@tensorflow/tfjs';
import { type Ctx, conv2d } from '../layers.ts';
import { batchNorm } from '../batchNorm.ts';
import { blockOutChannels } from './shape.ts';

export type BlockKind = 'basic' | 'bottleneck';

function convBn(ctx: Ctx, name: string, x: tf.Tensor4D, out: number, k: number, stride: number, zeroGamma = false): tf.Tensor4D {
  return batchNorm(ctx, `${name}.bn`, conv2d(ctx, `${name}.conv`, x, out, k, stride), { zeroGamma });
}

/** Identity, or a 1x1 conv + BN projection when the shape changes. */
function shortcut(ctx: Ctx, name: string, x: tf.Tensor4D, out: number, stride: number): tf.Tensor4D {
  return stride === 1 && x.shape[3] === out ? x : convBn(ctx, `${name}.downsample`, x, out, 1, stride);
}

export function residualBlock(ctx: Ctx, name: string, kind: BlockKind, x: tf.Tensor4D, width: number, stride: number): tf.Tensor4D {
  const out = blockOutChannels(kind, width);
  let y: tf.Tensor4D;
  if (kind === 'basic') {
    y = tf.relu(convBn(ctx, `${name}.1`, x, width, 3, stride));
    y = convBn(ctx, `${name}.2`, y, width, 3, 1, true);
  } else {
    y = tf.relu(convBn(ctx, `${name}.1`, x, width, 1, 1));
    y = tf.relu(convBn(ctx, `${name}.2`, y, width, 3, stride));
    y = convBn(ctx, `${name}.3`, y, out, 1, 1, true);
  }
  return tf.relu(tf.add(y, shortcut(ctx, name, x, out, stride))) as tf.Tensor4D;
}
