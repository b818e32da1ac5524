// MoCo v2 (He et al., CVPR 2020; Chen et al. 2020): a query encoder f_q (backbone + 2-layer MLP head,
// no BN) and a key encoder f_k, its momentum copy theta_k <- m * theta_k + (1 - m) * theta_q. Each
// query's positive is the key of the other view of its image; its negatives are a queue of K keys of
// earlier batches. InfoNCE over a temperature. After each step the batch's keys replace the oldest
// entries of the queue.
//
// Shuffle-BN on one device: with BN, a query and its positive key normalised with the same batch
// statistics let the network find the positive by that shared signature instead of by content (the
// MoCo paper's "leak"). MoCo breaks it by running the key encoder on a shuffled batch split across
// GPUs. Here the key encoder runs on `keyBnSplits` disjoint sub-batches of a shuffled batch (the
// CIFAR demo's SplitBatchNorm, on the key side), so a key's BN statistics come from a random subset
// unlike the whole batch that normalises its query. The shuffle is drawn from the seed and the step,
// so it needs no state of its own.
//
// Parameters: 'backbone.', 'projector.'; the key encoder's 'key.backbone.', 'key.projector.'; the
// queue 'queue.keys' [K, d] (l2-normalised rows) and its write position 'queue.ptr'.
import * as tf from '@tensorflow/tfjs';
import { mlp } from '../heads.ts';
import { infoNce } from '../losses.ts';
import { collapseStd } from '../monitors.ts';
import { l2Normalize } from '../normalize.ts';
import { copyParams, emaUpdate } from '../targets.ts';
import { enqueue } from '../queue.ts';
import type { MethodConfig } from '../config.ts';
import { Prng } from '../prng.ts';
import { MethodBase } from './base.ts';
import type { MethodInit, MethodOutputs, StepContext, TrainingMethod } from './method.ts';

const KEY = 'key.';
const QUEUE = 'queue.keys';
const QUEUE_PTR = 'queue.ptr';
// F.normalize's default
const EPS = 1e-12;

/** A permutation of 0..n-1 (Fisher-Yates from the top). */
function shuffled(n: number, rng: Prng): Int32Array {
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm;
}

export class MocoV2 extends MethodBase<MethodConfig<'moco-v2'>> implements TrainingMethod {

  constructor(config: MethodConfig<'moco-v2'>) {
    super(config);
    const keysPerStep = config.batchSize * (config.symmetric ? 2 : 1);
    if (config.queueSize < keysPerStep) throw new Error(`queueSize ${config.queueSize} cannot hold one step's ${keysPerStep} keys`);
    tf.tidy(() => {
      // 2 samples, 8 px: parameter shapes depend on neither batch nor resolution
      const x = this.initInput();
      this.encode('', x, false);
      this.encode(KEY, x, false);
      copyParams(this.store, 'backbone.', KEY + 'backbone.');
      copyParams(this.store, 'projector.', KEY + 'projector.');
      const queue = this.store.getOrCreate(QUEUE, [config.queueSize, config.projectorDim], { kind: 'normal', std: 1 }, false);
      queue.assign(l2Normalize(queue as tf.Tensor as tf.Tensor2D, EPS));
      this.store.getOrCreate(QUEUE_PTR, [1], { kind: 'constant', value: 0 }, false);
    });
  }

  /** The query encoder's (`root` '') or the key encoder's output: fc-ReLU-fc over the backbone. */
  encode(root: string, x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    const frozen = root !== '';
    const features = this.net.run(this.ctx(`${root}backbone.`, training, frozen), x);
    return mlp(this.ctx(`${root}projector.`, training, frozen), features, {
      hidden: [this.config.projectorHiddenDim],
      out: this.config.projectorDim,
      hiddenBn: false,
      outputBn: false,
    });
  }

  /** l2-normalised keys of `x` from the key encoder, BN over disjoint sub-batches of a shuffle. */
  private keys(x: tf.Tensor4D, rng: Prng): tf.Tensor2D {
    const n = x.shape[0];
    const perm = shuffled(n, rng);
    const splits = Math.max(1, Math.min(this.config.keyBnSplits, Math.floor(n / 2)));
    const mixed = tf.gather(x, perm);
    const parts = Array.from({ length: splits }, (_, g) => {
      const start = Math.floor((g * n) / splits);
      const end = Math.floor(((g + 1) * n) / splits);
      return this.encode(KEY, tf.slice(mixed, [start, 0, 0, 0], [end - start, -1, -1, -1]), true);
    });
    const unshuffle = new Int32Array(n);
    perm.forEach((row, i) => (unshuffle[row] = i));
    return l2Normalize(tf.gather(tf.concat(parts), unshuffle), EPS);
  }

  /** Keys (no gradient): of view 2 for the query of view 1; symmetric: of both views. */
  prepare({ views: [x1, x2], step }: StepContext): tf.Tensor[] {
    const rng = new Prng((this.config.seed ^ Math.imul(step + 1, 0x9e3779b1)) >>> 0);
    return this.config.symmetric ? [this.keys(x1, rng), this.keys(x2, rng)] : [this.keys(x2, rng)];
  }

  loss({ views: [x1, x2] }: StepContext, keys: tf.Tensor[]): MethodOutputs {
    const { temperature, symmetric } = this.config;
    const queue = this.store.get(QUEUE) as tf.Tensor as tf.Tensor2D;
    const query = (x: tf.Tensor4D) => l2Normalize(this.encode('', x, true), EPS);
    const q1 = query(x1);
    const zStd = collapseStd(q1);
    if (!symmetric) return { loss: infoNce(q1, keys[0] as tf.Tensor2D, queue, temperature), zStd, pStd: zStd };
    const [k1, k2] = keys as tf.Tensor2D[];
    const q2 = query(x2);
    // summed, as the CIFAR demo's symmetric loss
    return { loss: tf.add(infoNce(q1, k2, queue, temperature), infoNce(q2, k1, queue, temperature)) as tf.Scalar, zStd, pStd: zStd };
  }

  lrGroup(): 'scheduled' {
    return 'scheduled';
  }

  /** The momentum update of the key encoder (every parameter and BN statistic), then this step's
   * keys enter the queue. */
  afterStep(_ctx: StepContext, keys: tf.Tensor[]): void {
    emaUpdate(this.store, 'backbone.', KEY + 'backbone.', this.config.keyMomentum);
    emaUpdate(this.store, 'projector.', KEY + 'projector.', this.config.keyMomentum);
    enqueue(this.store.get(QUEUE), this.store.get(QUEUE_PTR), keys);
  }
}

export const createMocoV2 = ({ config }: MethodInit<'moco-v2'>) => new MocoV2(config);
