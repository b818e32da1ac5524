// LARS (You et al. 2017) as SimCLR's official optimizer applies it (classic momentum, no Nesterov):
//   g <- g + wd * p;  trust = eta * |p| / |g| (1 where either norm is 0);
//   v <- momentum * v + lr * trust * g;  p <- p - v
// The velocity holds the lr-scaled step, as in SimCLR's code. BN scale/shift and biases (the 1-D
// parameters) are excluded from both the weight decay and the trust ratio, as SimCLR excludes
// 'batch_normalization' and 'bias' variables: they take plain momentum steps at lr.
import * as tf from '@tensorflow/tfjs';
import type { Param } from '../params.ts';
import { Sgd, type Slot } from './sgd.ts';

/** SimCLR's LARS trust coefficient (eeta). */
export const LARS_ETA = 0.001;

/** Parameters LARS leaves unadapted and undecayed. */
export const larsExcluded = (param: Param) => param.variable.rank <= 1;

// sqrt(sum(x²)) rather than tf.norm, whose pow-based wasm kernel is slow
const l2Norm = (x: tf.Tensor) => tf.sqrt(tf.sum(tf.square(x)));

export class Lars extends Sgd {
  protected override apply(slot: Slot, grad: tf.Tensor, lr: number): void {
    if (larsExcluded(slot.param)) return this.momentumStep(slot, tf.mul(grad, lr), 1, 0);
    const p = slot.param.variable;
    const g = this.weightDecay > 0 ? tf.add(grad, tf.mul(p, this.weightDecay)) : grad;
    const pNorm = l2Norm(p);
    const gNorm = l2Norm(g);
    const ok = tf.logicalAnd(tf.greater(pNorm, 0), tf.greater(gNorm, 0));
    const trust = tf.where(ok, tf.div(tf.mul(pNorm, LARS_ETA), tf.maximum(gNorm, 1e-30)), tf.onesLike(pNorm));
    this.momentumStep(slot, tf.mul(g, tf.mul(trust, lr)), 1, 0);
  }
}
