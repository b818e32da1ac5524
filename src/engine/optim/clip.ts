// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: every gradient is scaled by
// min(1, maxNorm / (|g| + 1e-6)), |g| the L2 norm of all of them together.
import * as tf from '@tensorflow/tfjs';

/** The gradients (undefined = that parameter is not updated, and not counted) clipped to `maxNorm`. */
export function clipByGlobalNorm(grads: Array<tf.Tensor | undefined>, maxNorm: number): Array<tf.Tensor | undefined> {
  const present = grads.filter((g): g is tf.Tensor => g !== undefined);
  if (!present.length) return grads;
  const total = tf.sqrt(tf.addN(present.map((g) => tf.sum(tf.square(g)))));
  const scale = tf.minimum(tf.div(maxNorm, tf.add(total, 1e-6)), 1);
  return grads.map((g) => g && tf.mul(g, scale));
}
