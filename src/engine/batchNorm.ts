// Batch normalisation with PyTorch semantics (momentum 0.1, eps 1e-5, unbiased running variance).
// Training mode normalises with batch statistics through a closed-form backward (tf.customGrad):
// tfjs's own FusedBatchNorm gradient is built from Tile ops and is much slower. Where the backend
// has the fused kernels (./kernels/fused.ts) each direction is one kernel call. Running statistics
// are updated inside the forward kernel, which runs untaped and tidied, so updates neither enter
// the gradient nor leak tensors.
import * as tf from '@tensorflow/tfjs';
import type { Ctx } from './layers.ts';
import { FusedKernel, hasFusedKernel, runFused } from './kernels/fused.ts';

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

export const BN_MOMENTUM = 0.1;
export const BN_EPS = 1e-5;

export interface BatchNormOptions {
  /** learnable gamma/beta (off for SimSiam's projector output) */
  affine?: boolean;
  /** start gamma at 0 (last BN of a residual block, "zero_init_residual") */
  zeroGamma?: boolean;
}

/** Normalises over every axis but the last (channels): works for [N, C] and [N, H, W, C]. */
export function batchNorm<T extends tf.Tensor>(ctx: Ctx, name: string, x: T, opts: BatchNormOptions = {}): T {
  const { affine = true, zeroGamma = false } = opts;
  const c = x.shape[x.rank - 1];
  const gamma = affine ? ctx.store.getOrCreate(`${name}.weight`, [c], { kind: 'constant', value: zeroGamma ? 0 : 1 }) : undefined;
  const beta = affine ? ctx.store.getOrCreate(`${name}.bias`, [c], { kind: 'constant', value: 0 }) : undefined;
  const runningMean = ctx.store.getOrCreate(`${name}.running_mean`, [c], { kind: 'constant', value: 0 }, false);
  const runningVar = ctx.store.getOrCreate(`${name}.running_var`, [c], { kind: 'constant', value: 1 }, false);

  if (!ctx.training) {
    // fold running statistics and affine into one scale and shift
    let scale: tf.Tensor = tf.rsqrt(tf.add(runningVar, BN_EPS));
    let shift: tf.Tensor = tf.neg(tf.mul(runningMean, scale));
    if (gamma && beta) {
      scale = tf.mul(scale, gamma);
      shift = tf.add(tf.mul(shift, gamma), beta);
    }
    return tf.add(tf.mul(x, scale), shift) as T;
  }

  const axes = [...Array(x.rank - 1).keys()];
  const count = x.size / c;
  const updateRunning = (mean: tf.Tensor, variance: tf.Tensor) => {
    const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
    runningMean.assign(tf.add(tf.mul(runningMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
    runningVar.assign(tf.add(tf.mul(runningVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
  };

  // customGrad passes the inputs and then `save`; affine or not changes the arity, hence the casts
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [input, g, b] = args as [tf.Tensor, tf.Tensor?, tf.Tensor?];
    const { value, mean, variance, gradFunc } = hasFusedKernel(FusedKernel.batchNormTrain)
      ? fusedTrainForward(input, g, b, save)
      : composedTrainForward(input, g, b, axes, save);
    updateRunning(mean, variance);
    return { value, gradFunc };
  }) as unknown as CustomGradientFunc);

  return (gamma && beta ? op(x, gamma, beta) : op(x)) as T;
}

interface TrainForward {
  value: tf.Tensor;
  mean: tf.Tensor;
  /** biased batch variance */
  variance: tf.Tensor;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
}

/** Batch statistics and their closed-form backward from tfjs ops. */
function composedTrainForward(input: tf.Tensor, g: tf.Tensor | undefined, b: tf.Tensor | undefined, axes: number[], save: tf.GradSaveFunc): TrainForward {
  const { mean, variance } = tf.moments(input, axes);
  const invStd = tf.rsqrt(tf.add(variance, BN_EPS));
  const xhat = tf.mul(tf.sub(input, mean), invStd);
  save(g ? [xhat, invStd, g] : [xhat, invStd]);
  return {
    value: g && b ? tf.add(tf.mul(xhat, g), b) : xhat,
    mean,
    variance,
    // tidied: a custom gradient runs outside the tape's per-node tidy
    gradFunc: (dy, [sXhat, sInvStd, sGamma]) => tf.tidy(() => {
      const dxhat = sGamma ? tf.mul(dy, sGamma) : dy;
      // d/dx of (x - mean) * invStd with batch mean and variance
      const dx = tf.mul(
        sInvStd,
        tf.sub(tf.sub(dxhat, tf.mean(dxhat, axes)), tf.mul(sXhat, tf.mean(tf.mul(dxhat, sXhat), axes))),
      );
      return sGamma ? [dx, tf.sum(tf.mul(dy, sXhat), axes), tf.sum(dy, axes)] : [dx];
    }),
  };
}

/** The same math in the backend's fused kernels (one pass each way instead of about ten ops). */
function fusedTrainForward(input: tf.Tensor, g: tf.Tensor | undefined, b: tf.Tensor | undefined, save: tf.GradSaveFunc): TrainForward {
  const [value, mean, variance] = runFused(FusedKernel.batchNormTrain, { x: input, gamma: g, beta: b }, { eps: BN_EPS });
  save(g ? [input, mean, variance, g] : [input, mean, variance]);
  return {
    value,
    mean,
    variance,
    gradFunc: (dy, [sx, sMean, sVariance, sGamma]) => tf.tidy(() => {
      const [dx, dgamma, dbeta] = runFused(FusedKernel.batchNormTrainGrad, { dy, x: sx, mean: sMean, variance: sVariance, gamma: sGamma }, { eps: BN_EPS });
      return sGamma ? [dx, dgamma, dbeta] : [dx];
    }),
  };
}
