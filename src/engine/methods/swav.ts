// SwAV (Caron et al., NeurIPS 2020): features z = l2norm(g(f(x))) are scored against K prototypes c
// (l2-normalised before every step, frozen for the first epochs); the codes q of each large crop are
// Sinkhorn-Knopp assignments of its scores (equal share per prototype over the batch, plus an
// optional queue of past features), and every other crop predicts them (swapped prediction):
//   L = 1/2 sum_{i in large} 1/(V_total - 1) sum_{v != i} -mean_n sum_k q_i log softmax(z_v c / tau).
// Multi-crop: 2 large crops and V small ones; crops of one resolution go through the backbone as one
// batch (main_swav.py). Parameters: 'backbone.', 'projector.', 'prototypes.weight' [d, K]; the queue
// 'queue' [2, L, d] (non-trainable, newest rows first) with its fill count as host state.
import * as tf from '@tensorflow/tfjs';
import { linear } from '../layers.ts';
import { mlp } from '../heads.ts';
import { sinkhornKnopp } from '../losses.ts';
import { l2Normalize } from '../normalize.ts';
import { collapseStd } from '../monitors.ts';
import type { NamedArray } from '../checkpoint.ts';
import type { MethodConfig } from '../config.ts';
import { MethodBase } from './base.ts';
import type { MethodInit, MethodOutputs, StepContext, TrainingMethod, ViewSpec } from './method.ts';

type Config = MethodConfig<'swav'>;

const PROTOTYPES = 'prototypes.weight';
const QUEUE = 'queue';
/** crops whose codes are computed: the two large ones */
const ASSIGNED = 2;

export class SwAV extends MethodBase<Config> implements TrainingMethod {
  /** rows of the queue holding features (it is used once full) */
  private queueFilled = 0;

  constructor(config: Config) {
    super(config);
    if (config.smallCrops > 0) {
      this.views.push({ count: config.smallCrops, size: config.smallCropSize, scale: [config.smallCropScaleMin, config.smallCropScaleMax] });
    }
    tf.tidy(() => {
      // 2 samples, 8 px: parameter shapes depend on neither batch nor resolution
      this.scores(this.embed([this.initInput()], false));
    });
    if (config.queueLength > 0) this.store.getOrCreate(QUEUE, [ASSIGNED, config.queueLength, config.projectorDim], { kind: 'constant', value: 0 }, false);
  }

  /** l2-normalised projections of all crops, in view order; one backbone pass per resolution. */
  embed(views: tf.Tensor4D[], training: boolean): tf.Tensor2D {
    const groups: tf.Tensor4D[][] = [];
    for (const v of views) {
      const last = groups.at(-1);
      if (last && last[0].shape[1] === v.shape[1]) last.push(v);
      else groups.push([v]);
    }
    const features = tf.concat(groups.map((g) => this.backbone(g.length === 1 ? g[0] : tf.concat(g), training)));
    const { projectorHiddenDim, projectorDim } = this.config;
    const z = mlp(this.ctx('projector.', training), features, { hidden: [projectorHiddenDim], out: projectorDim, hiddenBn: true, outputBn: false });
    return l2Normalize(z, 1e-12);
  }

  /** z c: scores against the prototypes (a bias-free linear layer). */
  private scores(z: tf.Tensor2D): tf.Tensor2D {
    return linear(this.ctx('', true), 'prototypes', z, this.config.prototypes, false);
  }

  private get queueInUse(): boolean {
    return this.config.queueLength > 0 && this.queueFilled === this.config.queueLength;
  }

  /** Normalises the prototypes; scores of the queued features for the Sinkhorn step (no gradient). */
  prepare(): tf.Tensor[] {
    const c = this.store.get(PROTOTYPES);
    c.assign(tf.transpose(l2Normalize(tf.transpose(c) as tf.Tensor2D, 1e-12)));
    if (!this.queueInUse) return [];
    const queue = this.store.get(QUEUE);
    return tf.unstack(queue).map((q) => tf.matMul(q as tf.Tensor2D, c));
  }

  loss({ views }: StepContext, queued: tf.Tensor[], detach: (t: tf.Tensor) => void): MethodOutputs {
    const { temperature, sinkhornEpsilon, sinkhornIterations } = this.config;
    const n = views[0].shape[0];
    const crops = views.length;
    const z = this.embed(views, true);
    const scores = tf.split(this.scores(z), crops) as tf.Tensor2D[];
    const logProbs = scores.map((s) => tf.logSoftmax(tf.div(s, temperature)));
    const codes: tf.Tensor2D[] = [];
    let loss: tf.Tensor = tf.scalar(0);
    for (let i = 0; i < ASSIGNED; i++) {
      detach(tf.slice(z, [i * n, 0], [n, -1]));
      const input = queued.length ? tf.concat([queued[i] as tf.Tensor2D, scores[i]]) : scores[i];
      const q = tf.slice(sinkhornKnopp(input, sinkhornEpsilon, sinkhornIterations), [input.shape[0] - n, 0], [n, -1]);
      codes.push(q);
      for (let v = 0; v < crops; v++) {
        if (v === i) continue;
        loss = tf.sub(loss, tf.div(tf.mean(tf.sum(tf.mul(q, logProbs[v]), 1)), crops - 1));
      }
    }
    return { loss: tf.div(loss, ASSIGNED) as tf.Scalar, zStd: collapseStd(tf.slice(z, [0, 0], [n, -1])), pStd: collapseStd(codes[0]) };
  }

  frozenAt(step: number, stepsPerEpoch: number): string[] {
    return step < this.config.freezePrototypesEpochs * stepsPerEpoch ? [PROTOTYPES] : [];
  }

  lrGroup(): 'scheduled' {
    return 'scheduled';
  }

  /** Enqueues the large crops' features of this batch (from queueStartEpoch on). */
  afterStep({ step, stepsPerEpoch }: StepContext, _queued: tf.Tensor[], features: tf.Tensor[]): void {
    const { queueLength, queueStartEpoch } = this.config;
    if (queueLength === 0 || Math.floor(step / stepsPerEpoch) < queueStartEpoch) return;
    const queue = this.store.get(QUEUE);
    tf.tidy(() => {
      const rows = tf.unstack(queue).map((q, i) => tf.slice(tf.concat([features[i], q]), [0, 0], [queueLength, -1]));
      queue.assign(tf.stack(rows));
    });
    this.queueFilled = Math.min(queueLength, this.queueFilled + features[0].shape[0]);
  }

  hostState(): NamedArray[] {
    return this.config.queueLength > 0 ? [{ name: 'queue.filled', shape: [1], data: Float32Array.of(this.queueFilled) }] : [];
  }

  restoreHostState(arrays: NamedArray[]): void {
    for (const a of arrays) {
      if (a.name !== 'queue.filled' || this.config.queueLength === 0) throw new Error(`checkpoint state ${a.name} does not fit the model`);
      this.queueFilled = a.data[0];
    }
  }
}

export const createSwAV = ({ config }: MethodInit<'swav'>) => new SwAV(config);
