// ReLU whose gradient reads its output instead of its input, as PyTorch's in-place ReLU does. The
// output is kept anyway (the next layer's gradient needs it), so the input, a BN output or a
// residual sum, is no longer held until the backward pass. relu(x) > 0 exactly where x > 0: the
// gradient is tfjs's own, dy * step(x), to the bit.
import * as tf from '@tensorflow/tfjs';

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

const reluOp = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const y = tf.relu(x);
  save([y]);
  // tidied: a custom gradient runs outside the tape's per-node tidy
  return { value: y, gradFunc: (dy: tf.Tensor, [sy]: tf.Tensor[]) => tf.tidy(() => tf.mul(dy, tf.step(sy))) };
}) as unknown as CustomGradientFunc);

export function relu<T extends tf.Tensor>(x: T): T {
  return reluOp(x) as T;
}
