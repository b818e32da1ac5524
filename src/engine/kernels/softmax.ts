// Softmax over the last axis whose gradient is one fused kernel where the backend registers it.
// tf.softmax's own gradient is four tfjs ops (Mul, Sum, Sub, Mul), each a full pass over the
// attention scores, the largest tensors of a ViT step. Elsewhere the same math is composed.
import * as tf from '@tensorflow/tfjs';
import { FusedKernel, hasFusedKernel, runFused } from './fused.ts';

/** dx = y * (dy - sum(dy * y)) over the last axis, y being the softmax output */
function softmaxGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (hasFusedKernel(FusedKernel.softmaxGrad)) return runFused(FusedKernel.softmaxGrad, { dy, y }, {})[0];
  return tf.mul(y, tf.sub(dy, tf.sum(tf.mul(dy, y), -1, true)));
}

// customGrad's type lists inputs and `save` as one union
const softmaxOp = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const y = tf.softmax(x);
  save([y]);
  return { value: y, gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => softmaxGrad(dy, saved) };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/** tf.softmax over the last axis, with the fused gradient. */
export function softmax<T extends tf.Tensor>(logits: T): T {
  return softmaxOp(logits) as T;
}
