// GELU with the exact erf, x * Phi(x) (torch.nn.GELU(), as ViT's MLP). A closed-form backward through
// tf.customGrad; fused kernels (./kernels/fused.ts) where the backend registers them, otherwise
// composed from tfjs ops (what the kernels are checked against).
import * as tf from '@tensorflow/tfjs';
import { FusedKernel, hasFusedKernel, runFused } from './kernels/fused.ts';

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

/** Phi(x), the standard normal CDF */
const normalCdf = (x: tf.Tensor) => tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));

export function geluForward<T extends tf.Tensor>(x: T): T {
  if (hasFusedKernel(FusedKernel.gelu)) return runFused(FusedKernel.gelu, { x }, {})[0] as T;
  return tf.tidy(() => tf.mul(x, normalCdf(x)) as T);
}

/** dy * (Phi(x) + x * phi(x)) */
export function geluBackward<T extends tf.Tensor>(dy: T, x: T): T {
  if (hasFusedKernel(FusedKernel.geluGrad)) return runFused(FusedKernel.geluGrad, { dy, x }, {})[0] as T;
  return tf.tidy(() => {
    const density = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return tf.mul(dy, tf.add(normalCdf(x), tf.mul(x, density))) as T;
  });
}

const geluOp = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return { value: geluForward(x), gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => [geluBackward(dy, sx)] };
}) as unknown as CustomGradientFunc);

export function gelu<T extends tf.Tensor>(x: T): T {
  return geluOp(x) as T;
}
