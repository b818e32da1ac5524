// SimSiam objective L = D(p1, sg(z2))/2 + D(p2, sg(z1))/2 (paper eq. 4) and the ablations of its
// tables: no stop-gradient, asymmetric loss, cross-entropy similarity.
// Also NT-Xent (SimCLR), InfoNCE against a queue (MoCo v2) or in-batch (MoCo v3), BYOL's normalised
// regression loss and SwAV's Sinkhorn-Knopp codes.
import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from './normalize.ts';

/** Identity whose gradient is zero: tfjs has no stopGradient op. */
export const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as <T extends tf.Tensor>(x: T) => T;

const EPS = 1e-8;

/** Negative cosine similarity, averaged over the batch: -1 when p and z point the same way. */
export function negativeCosine(p: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(l2Normalize(p, EPS), l2Normalize(z, EPS)), 1))) as tf.Scalar;
}

/** The paper's cross-entropy variant: -softmax(z) . log softmax(p), averaged over the batch. */
export function crossEntropySimilarity(p: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.softmax(z), tf.logSoftmax(p)), 1))) as tf.Scalar;
}

export interface LossOptions {
  stopGradient: boolean;
  symmetric: boolean;
  loss: 'negative-cosine' | 'cross-entropy';
}

export interface SiameseOutputs {
  z1: tf.Tensor2D;
  z2: tf.Tensor2D;
  p1: tf.Tensor2D;
  p2: tf.Tensor2D;
}

/** D(p, z) of the config's `loss`. */
export const similarity = (loss: LossOptions['loss']) => (loss === 'cross-entropy' ? crossEntropySimilarity : negativeCosine);

export function simsiamLoss({ z1, z2, p1, p2 }: SiameseOutputs, opts: LossOptions): tf.Scalar {
  const d = similarity(opts.loss);
  const target = (z: tf.Tensor2D) => (opts.stopGradient ? stopGradient(z) : z);
  const forward = d(p1, target(z2));
  return opts.symmetric ? tf.mul(tf.add(forward, d(p2, target(z1))), 0.5) : forward;
}

/** Cross-entropy of each row's logits against the column `positive[i]`, averaged over rows:
 * mean(logsumexp(row) - row[positive]). `positiveLogit` [N] is that column's value. */
function softmaxCrossEntropy(logits: tf.Tensor2D, positiveLogit: tf.Tensor1D): tf.Scalar {
  return tf.mean(tf.sub(tf.logSumExp(logits, 1), positiveLogit)) as tf.Scalar;
}

/** SimCLR's NT-Xent over a batch of pairs: each of the 2N views has its pair as the positive and
 * the other 2N-2 views as negatives, cosine similarities over `temperature`; mean over the 2N. */
export function ntXent(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): tf.Scalar {
  const z = l2Normalize(tf.concat([z1, z2]) as tf.Tensor2D, EPS);
  const n2 = z.shape[0];
  // a view is not its own negative: its self-similarity is pushed out of the softmax
  const logits = tf.sub(tf.div(tf.matMul(z, z, false, true), temperature), tf.mul(tf.eye(n2), 1e9)) as tf.Tensor2D;
  const [a, b] = tf.split(z, 2);
  const pair = tf.div(tf.sum(tf.mul(a, b), 1), temperature) as tf.Tensor1D;
  return softmaxCrossEntropy(logits, tf.concat([pair, pair]) as tf.Tensor1D);
}

/** MoCo's InfoNCE: each query against its key (the positive, column 0) and the `negatives` [K, d]
 * (the queue), logits over `temperature`; mean over the N queries. All rows l2-normalised. */
export function infoNce(q: tf.Tensor2D, k: tf.Tensor2D, negatives: tf.Tensor2D, temperature: number): tf.Scalar {
  const positive = tf.sum(tf.mul(q, k), 1, true);
  const logits = tf.div(tf.concat([positive, tf.matMul(q, negatives, false, true)], 1), temperature) as tf.Tensor2D;
  return softmaxCrossEntropy(logits, tf.reshape(tf.div(positive, temperature), [-1]) as tf.Tensor1D);
}

/** MoCo v3's InfoNCE over in-batch keys: query i against every key of the batch, its own image's key
 * (the diagonal) the positive, cosine similarities over `temperature`; mean over the N queries, times
 * 2 * temperature as the official code scales it. `k` is a target (no gradient flows into it). */
export function inBatchInfoNce(q: tf.Tensor2D, k: tf.Tensor2D, temperature: number): tf.Scalar {
  const qn = l2Normalize(q, EPS);
  const kn = l2Normalize(stopGradient(k), EPS);
  const logits = tf.div(tf.matMul(qn, kn, false, true), temperature) as tf.Tensor2D;
  const positive = tf.div(tf.sum(tf.mul(qn, kn), 1), temperature) as tf.Tensor1D;
  return tf.mul(softmaxCrossEntropy(logits, positive), 2 * temperature) as tf.Scalar;
}

/** BYOL's regression loss ||p/|p| - t/|t| ||^2 = 2 - 2 cos(p, t), averaged over the batch; `t` is a
 * target (no gradient flows into it). */
export function normalizedSquaredError(p: tf.Tensor2D, t: tf.Tensor2D): tf.Scalar {
  return tf.sub(2, tf.mul(tf.mean(tf.sum(tf.mul(l2Normalize(p, EPS), l2Normalize(stopGradient(t), EPS)), 1)), 2)) as tf.Scalar;
}

/** Sinkhorn-Knopp (SwAV, Caron et al. 2020, after Cuturi 2013): soft assignments of N samples to K
 * prototypes from their scores [N, K], Q = exp(scores / epsilon) rescaled `iterations` times so
 * every prototype gets 1/K of the mass and every sample 1/N; returned per sample (rows summing to 1).
 * A target: no gradient flows through it (and the tape records no iteration). */
export function sinkhornKnopp(scores: tf.Tensor2D, epsilon: number, iterations: number): tf.Tensor2D {
  const assign = tf.customGrad(((s: tf.Tensor2D) => {
    const [n, k] = s.shape;
    let q = tf.exp(tf.div(s, epsilon));
    q = tf.div(q, tf.sum(q));
    for (let i = 0; i < iterations; i++) {
      q = tf.div(q, tf.mul(tf.sum(q, 0, true), k));
      q = tf.div(q, tf.mul(tf.sum(q, 1, true), n));
    }
    return { value: tf.mul(q, n), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return assign(scores) as tf.Tensor2D;
}
