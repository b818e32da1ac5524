// SimSiam (Chen & He, CVPR 2021): encoder f = backbone + projector, predictor h,
//   L = D(p1, sg(z2)) / 2 + D(p2, sg(z1)) / 2,
// with the paper's ablations (no stop-gradient, no predictor, asymmetric loss, cross-entropy, where
// BN goes: table 5) and its hypothesis experiments (sec. 5):
// - predictor 'fixed-random': h initialised and never trained;
// - predictor 'moving-average': no h; the target of image x is eta_x, a moving average of x's own
//   past projections, eta_x <- m * eta_x + (1 - m) * z_x, kept per image;
// - alternation every k steps (or once per epoch): targets come from a snapshot of f refreshed every
//   k steps; k = 1 is SimSiam itself.
// Parameters: 'backbone.', 'projector.', 'predictor.'; the snapshot's 'snapshot.backbone.' and
// 'snapshot.projector.'.
import * as tf from '@tensorflow/tfjs';
import { mlp } from '../heads.ts';
import { simsiamLoss, similarity, stopGradient } from '../losses.ts';
import { collapseStd } from '../monitors.ts';
import { copyParams } from '../targets.ts';
import type { NamedArray } from '../checkpoint.ts';
import type { MethodConfig } from '../config.ts';
import { MethodBase } from './base.ts';
import type { MethodInit, MethodOutputs, StepContext, TrainingMethod } from './method.ts';

type Config = MethodConfig<'simsiam'>;

const SNAPSHOT = 'snapshot.';

export class SimSiam extends MethodBase<Config> implements TrainingMethod {
  /** eta per image for predictor 'moving-average': [datasetSize, projectorDim], and whether seen */
  private memory?: { eta: Float32Array; seen: Float32Array };

  constructor(config: Config, datasetSize: number) {
    super(config);
    tf.tidy(() => {
      // 2 samples, 8 px: parameter shapes depend on neither batch nor resolution
      const x = this.initInput();
      const z = this.encode('', x, false);
      if (this.hasPredictor) this.predict(z, false);
      if (this.snapshotted) {
        this.encode(SNAPSHOT, x, false);
        copyParams(this.store, 'backbone.', SNAPSHOT + 'backbone.');
        copyParams(this.store, 'projector.', SNAPSHOT + 'projector.');
      }
    });
    if (config.predictor === 'moving-average') {
      this.memory = { eta: new Float32Array(datasetSize * config.projectorDim), seen: new Float32Array(datasetSize) };
    }
  }

  private get hasPredictor(): boolean {
    return this.config.predictor === 'mlp' || this.config.predictor === 'fixed-random';
  }

  private get snapshotted(): boolean {
    return this.config.alternation.every !== 1;
  }

  /** z = projector(backbone(x)) of the online network (`root` '') or the snapshot. */
  encode(root: string, x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    const { bn, projectorLayers, projectorDim } = this.config;
    const frozen = root !== '';
    const features = this.net.run(this.ctx(`${root}backbone.`, training, frozen), x);
    return mlp(this.ctx(`${root}projector.`, training, frozen), features, {
      hidden: Array(projectorLayers - 1).fill(this.net.featureDim),
      out: projectorDim,
      hiddenBn: bn !== 'none',
      outputBn: bn === 'default' || bn === 'all',
      outputAffine: false,
    });
  }

  /** p = h(z); the identity without a predictor. */
  predict(z: tf.Tensor2D, training: boolean): tf.Tensor2D {
    const { bn, predictor, predictorHiddenDim } = this.config;
    if (!this.hasPredictor) return z;
    return mlp(this.ctx('predictor.', training, predictor === 'fixed-random'), z, {
      hidden: [predictorHiddenDim],
      out: z.shape[1],
      hiddenBn: bn !== 'none',
      outputBn: bn === 'all',
      outputAffine: false,
    });
  }

  prepare({ views, indices, step, stepsPerEpoch }: StepContext): tf.Tensor[] {
    if (this.memory) {
      const d = this.config.projectorDim;
      const eta = new Float32Array(indices.length * d);
      indices.forEach((i, row) => eta.set(this.memory!.eta.subarray(i * d, (i + 1) * d), row * d));
      const seen = Float32Array.from(indices, (i) => this.memory!.seen[i]);
      return [tf.tensor2d(eta, [indices.length, d]), tf.tensor2d(seen, [indices.length, 1])];
    }
    if (!this.snapshotted) return [];
    const every = this.config.alternation.every === 'epoch' ? stepsPerEpoch : this.config.alternation.every;
    if (step % every === 0) {
      copyParams(this.store, 'backbone.', SNAPSHOT + 'backbone.');
      copyParams(this.store, 'projector.', SNAPSHOT + 'projector.');
    }
    return views.map((x) => this.encode(SNAPSHOT, x, true));
  }

  loss({ views: [x1, x2] }: StepContext, prepared: tf.Tensor[], detach: (t: tf.Tensor) => void): MethodOutputs {
    const c = this.config;
    const z1 = this.encode('', x1, true);
    const z2 = this.encode('', x2, true);
    if (this.memory) {
      const [eta, seen] = prepared as [tf.Tensor2D, tf.Tensor2D];
      // an image seen for the first time has no history yet: its target is its current projection
      const now = tf.div(tf.add(z1, z2), 2) as tf.Tensor2D;
      detach(now);
      const target = tf.add(tf.mul(eta, seen), tf.mul(stopGradient(now), tf.sub(1, seen))) as tf.Tensor2D;
      const d = similarity(c.loss);
      const forward = d(z1, target);
      const loss = c.symmetric ? tf.mul(tf.add(forward, d(z2, target)), 0.5) : forward;
      return { loss: loss as tf.Scalar, zStd: collapseStd(z1), pStd: collapseStd(target) };
    }
    const p1 = this.predict(z1, true);
    const p2 = this.predict(z2, true);
    const [t1, t2] = this.snapshotted ? (prepared as tf.Tensor2D[]) : [z1, z2];
    return { loss: simsiamLoss({ z1: t1, z2: t2, p1, p2 }, c), zStd: collapseStd(z1), pStd: collapseStd(p1) };
  }

  lrGroup(name: string): 'scheduled' | 'fixed' {
    return this.config.fixPredictorLr && name.startsWith('predictor.') ? 'fixed' : 'scheduled';
  }

  afterStep({ indices }: StepContext, _prepared: tf.Tensor[], [now]: tf.Tensor[]): void {
    if (!this.memory) return;
    const d = this.config.projectorDim;
    const m = this.config.movingAverageRate;
    const z = now.dataSync() as Float32Array;
    const { eta, seen } = this.memory;
    indices.forEach((i, row) => {
      const keep = seen[i] ? m : 0;
      for (let k = 0; k < d; k++) eta[i * d + k] = keep * eta[i * d + k] + (1 - keep) * z[row * d + k];
      seen[i] = 1;
    });
  }

  hostState(): NamedArray[] {
    if (!this.memory) return [];
    const n = this.memory.seen.length;
    return [
      { name: 'memory.eta', shape: [n, this.config.projectorDim], data: this.memory.eta },
      { name: 'memory.seen', shape: [n], data: this.memory.seen },
    ];
  }

  restoreHostState(arrays: NamedArray[]): void {
    for (const a of arrays) {
      const target = a.name === 'memory.eta' ? this.memory?.eta : a.name === 'memory.seen' ? this.memory?.seen : undefined;
      if (!target || target.length !== a.data.length) throw new Error(`checkpoint state ${a.name} does not fit the model`);
      target.set(a.data);
    }
  }
}

export const createSimSiam = ({ config, datasetSize }: MethodInit<'simsiam'>) => new SimSiam(config, datasetSize);
