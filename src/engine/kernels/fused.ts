// Fused training kernels under our own names. A backend may register them (the native kernel pack
// does, for wasm); where none is registered the engine composes the same math from tfjs ops.
import * as tf from '@tensorflow/tfjs';

export const FusedKernel = {
  /** inputs {x, gamma?, beta?} ([rows..., c]), attrs {eps} -> [y, mean, variance (biased)] */
  batchNormTrain: 'SimSiamBatchNormTrain',
  /** inputs {dy, x, mean, variance, gamma?}, attrs {eps} -> [dx, dgamma, dbeta] */
  batchNormTrainGrad: 'SimSiamBatchNormTrainGrad',
  /** inputs {param, grad, buf}, attrs {lr, momentum, weightDecay} -> [param', buf'] (torch.optim.SGD) */
  sgdUpdate: 'SimSiamSgdUpdate',
  /** inputs {x [rows, c], gamma [c], beta [c]}, attrs {eps} -> [y [rows, c], mean [rows], rstd [rows]] */
  layerNorm: 'SimSiamLayerNorm',
  /** inputs {dy, x, mean, rstd, gamma}, attrs {} -> [dx, dgamma, dbeta] */
  layerNormGrad: 'SimSiamLayerNormGrad',
  /** inputs {x}, attrs {} -> [y]: exact-erf GELU, x * Phi(x) (torch.nn.GELU()) */
  gelu: 'SimSiamGelu',
  /** inputs {dy, x}, attrs {} -> [dx] */
  geluGrad: 'SimSiamGeluGrad',
  /** inputs {dy, y} (y = softmax over the last axis), attrs {} -> [dx = y * (dy - sum(dy * y, last axis))] */
  softmaxGrad: 'SimSiamSoftmaxGrad',
} as const;

export function hasFusedKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Runs a fused kernel; absent optional inputs are left out of the input map. */
export function runFused(name: string, inputs: Record<string, tf.Tensor | undefined>, attrs: tf.NamedAttrMap): tf.Tensor[] {
  const present = Object.fromEntries(Object.entries(inputs).filter(([, t]) => t !== undefined)) as tf.NamedTensorMap;
  return tf.engine().runKernel(name, present, attrs) as unknown as tf.Tensor[];
}
