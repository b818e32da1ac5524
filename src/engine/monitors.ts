// Training monitors. Collapse: std over the batch of the l2-normalised output, per channel, averaged
// over channels (paper fig. 2: ~1/sqrt(d) when healthy, 0 when collapsed). kNN: weighted k-nearest-
// neighbour classifier on frozen features (InstDisc, Wu et al. 2018, as in the SimSiam kNN monitor):
// cosine similarity, top-k neighbours vote with weight exp(sim / temperature).
import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from './normalize.ts';

/** Scalar tensor (so callers choose when to read it). */
export function collapseStd(x: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const u = l2Normalize(x, 1e-12);
    const n = x.shape[0];
    const { variance } = tf.moments(u, 0);
    // unbiased, as torch.std
    return tf.mean(tf.sqrt(tf.mul(variance, n / Math.max(n - 1, 1)))) as tf.Scalar;
  });
}

export interface KnnOptions {
  k?: number;
  temperature?: number;
  /** queries scored per batch, to bound the [batch, bank] similarity matrix */
  batchSize?: number;
}

/** Predicted class for every query row. Features need not be normalised. */
export function knnPredict(
  bank: tf.Tensor2D,
  bankLabels: Int32Array,
  queries: tf.Tensor2D,
  numClasses: number,
  opts: KnnOptions = {},
): Int32Array {
  const { k = 200, temperature = 0.1, batchSize = 256 } = opts;
  const kk = Math.min(k, bank.shape[0]);
  const out = new Int32Array(queries.shape[0]);
  const unit = (x: tf.Tensor2D) => l2Normalize(x, 1e-12);
  const bankT = tf.tidy(() => tf.transpose(unit(bank)));
  const labels = tf.tensor1d(bankLabels, 'int32');
  for (let start = 0; start < queries.shape[0]; start += batchSize) {
    const size = Math.min(batchSize, queries.shape[0] - start);
    const predicted = tf.tidy(() => {
      const q = unit(tf.slice(queries, [start, 0], [size, -1]));
      const { values, indices } = tf.topk(tf.matMul(q, bankT), kk);
      const weights = tf.exp(tf.div(values, temperature));
      const votes = tf.mul(tf.oneHot(tf.gather(labels, indices), numClasses), tf.expandDims(weights, 2));
      return tf.argMax(tf.sum(votes, 1), 1);
    });
    out.set(predicted.dataSync(), start);
    predicted.dispose();
  }
  bankT.dispose();
  labels.dispose();
  return out;
}

export function knnAccuracy(
  bank: tf.Tensor2D,
  bankLabels: Int32Array,
  queries: tf.Tensor2D,
  queryLabels: Int32Array,
  numClasses: number,
  opts: KnnOptions = {},
): number {
  const predicted = knnPredict(bank, bankLabels, queries, numClasses, opts);
  return predicted.reduce((hits, p, i) => hits + (p === queryLabels[i] ? 1 : 0), 0) / predicted.length;
}
