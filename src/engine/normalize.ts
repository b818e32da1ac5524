// Row-wise l2 normalisation, x / max(||x||, eps) as torch.nn.functional.normalize. The norm is
// sqrt(sum(x²)): tf.norm goes through pow(|x|, 2), whose wasm kernel and gradient cost several times more.
import * as tf from '@tensorflow/tfjs';

export function l2Normalize(x: tf.Tensor2D, eps: number): tf.Tensor2D {
  return tf.div(x, tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), eps));
}
