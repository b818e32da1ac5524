// Layer normalisation over the last axis with PyTorch semantics (biased variance, affine), eps 1e-6
// as timm's and MoCo v3's ViT. A closed-form backward through tf.customGrad; where the backend has
// the fused kernels (./kernels/fused.ts) each direction is one kernel call, otherwise the same math
// is composed from tfjs ops (and is what the kernels are checked against).
import * as tf from '@tensorflow/tfjs';
import type { Ctx } from './layers.ts';
import { FusedKernel, hasFusedKernel, runFused } from './kernels/fused.ts';

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

export const LN_EPS = 1e-6;

/** y = (x - mean) * rstd * gamma + beta per row of x [rows, c]; also the row statistics. */
export function layerNormForward(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = LN_EPS): { y: tf.Tensor2D; mean: tf.Tensor1D; rstd: tf.Tensor1D } {
  if (hasFusedKernel(FusedKernel.layerNorm)) {
    const [y, mean, rstd] = runFused(FusedKernel.layerNorm, { x, gamma, beta }, { eps });
    return { y: y as tf.Tensor2D, mean: mean as tf.Tensor1D, rstd: rstd as tf.Tensor1D };
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 1, true);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const y = tf.add(tf.mul(tf.mul(tf.sub(x, mean), rstd), gamma), beta) as tf.Tensor2D;
    return { y, mean: tf.reshape(mean, [x.shape[0]]) as tf.Tensor1D, rstd: tf.reshape(rstd, [x.shape[0]]) as tf.Tensor1D };
  });
}

/** Gradients of layerNormForward: [dx, dgamma, dbeta]. */
export function layerNormBackward(dy: tf.Tensor2D, x: tf.Tensor2D, mean: tf.Tensor1D, rstd: tf.Tensor1D, gamma: tf.Tensor1D): [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D] {
  if (hasFusedKernel(FusedKernel.layerNormGrad)) {
    return runFused(FusedKernel.layerNormGrad, { dy, x, mean, rstd, gamma }, {}) as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
  }
  return tf.tidy(() => {
    const rows = x.shape[0];
    const r = tf.reshape(rstd, [rows, 1]);
    const xhat = tf.mul(tf.sub(x, tf.reshape(mean, [rows, 1])), r);
    const dxhat = tf.mul(dy, gamma);
    // d/dx of (x - mean) * rstd with the row's own mean and variance
    const dx = tf.mul(r, tf.sub(tf.sub(dxhat, tf.mean(dxhat, 1, true)), tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), 1, true)))) as tf.Tensor2D;
    return [dx, tf.sum(tf.mul(dy, xhat), 0) as tf.Tensor1D, tf.sum(dy, 0) as tf.Tensor1D];
  });
}

const layerNormOp = tf.customGrad(((x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, save: tf.GradSaveFunc) => {
  const { y, mean, rstd } = layerNormForward(x, gamma, beta);
  save([x, mean, rstd, gamma]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, [sx, sMean, sRstd, sGamma]: tf.Tensor[]) =>
      layerNormBackward(dy as tf.Tensor2D, sx as tf.Tensor2D, sMean as tf.Tensor1D, sRstd as tf.Tensor1D, sGamma as tf.Tensor1D),
  };
}) as unknown as CustomGradientFunc);

/** LayerNorm over the last axis of x (any rank), parameters `${name}.weight` (1) and `.bias` (0). */
export function layerNorm<T extends tf.Tensor>(ctx: Ctx, name: string, x: T): T {
  const c = x.shape[x.rank - 1];
  const gamma = ctx.store.getOrCreate(`${name}.weight`, [c], { kind: 'constant', value: 1 });
  const beta = ctx.store.getOrCreate(`${name}.bias`, [c], { kind: 'constant', value: 0 });
  const y = layerNormOp(tf.reshape(x, [x.size / c, c]), gamma, beta);
  return tf.reshape(y, x.shape) as T;
}
