// Stateless layer functions over a ParamStore. Initialisations follow PyTorch/torchvision so the
// recipe's hyper-parameters transfer: conv kaiming-normal(fan_out, relu) as torchvision's ResNet,
// linear layers PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
import * as tf from '@tensorflow/tfjs';
import type { Init, ParamSource } from './params.ts';

/** What every layer needs: where its parameters live and whether BN uses batch statistics. */
export interface Ctx {
  store: ParamSource;
  training: boolean;
}

/** kxk convolution without bias (always followed by BN), PyTorch-style symmetric padding k/2. */
export function conv2d(ctx: Ctx, name: string, x: tf.Tensor4D, outChannels: number, kernel: number, stride: number): tf.Tensor4D {
  const inChannels = x.shape[3];
  const w = ctx.store.getOrCreate(`${name}.weight`, [kernel, kernel, inChannels, outChannels], {
    kind: 'normal',
    std: Math.sqrt(2 / (outChannels * kernel * kernel)),
  });
  return tf.conv2d(x, w as tf.Tensor4D, stride, Math.floor(kernel / 2));
}

/** Weight [in, out]; `init` overrides PyTorch's default (the ViT's xavier-uniform weights, zero biases). */
export function linear(ctx: Ctx, name: string, x: tf.Tensor2D, outFeatures: number, bias: boolean, init?: { weight: Init; bias: Init }): tf.Tensor2D {
  const bound = 1 / Math.sqrt(x.shape[1]);
  const w = ctx.store.getOrCreate(`${name}.weight`, [x.shape[1], outFeatures], init?.weight ?? { kind: 'uniform', bound });
  const y = tf.matMul(x, w as tf.Tensor2D) as tf.Tensor2D;
  return bias ? (tf.add(y, ctx.store.getOrCreate(`${name}.bias`, [outFeatures], init?.bias ?? { kind: 'uniform', bound })) as tf.Tensor2D) : y;
}
