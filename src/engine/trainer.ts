// One SimSiam training run: model, optimizer, schedule position and augmentation PRNG. step() takes
// a uint8 batch and performs one SGD update on both views; serialize()/Trainer.restore() capture all
// of that so a resumed run continues exactly where it stopped.
import * as tf from '@tensorflow/tfjs';
import type { TrainingConfig } from '../domain/trainingConfig.ts';
import { SimSiamModel } from './simsiam.ts';
import { Sgd } from './sgd.ts';
import { Prng, type PrngState } from './prng.ts';
import { initialLr, scheduledLr } from './schedule.ts';
import { type ImageInput, twoViews } from './augment.ts';
import { simsiamLoss } from './loss.ts';
import { collapseStd } from './monitors.ts';
import { type FeatureOptions, extractFeatures } from './features.ts';
import { type NamedArray, decodeCheckpoint, encodeCheckpoint } from './checkpoint.ts';

export interface StepResult {
  loss: number;
  /** learning rate of the scheduled group used by this step */
  lr: number;
  /** collapse monitors: std of l2-normalised z1 and p1 (healthy ~ 1/sqrt(projectorDim)) */
  zStd: number;
  pStd: number;
}

interface CheckpointMeta {
  format: 1;
  config: TrainingConfig;
  stepsPerEpoch: number;
  step: number;
  prng: PrngState;
}

const PARAM = 'param/';
const MOMENTUM = 'momentum/';

/** Augmentation draws use their own stream, independent of the weight-init stream. */
const augmentSeed = (seed: number) => (seed ^ 0x5f3759df) >>> 0;

export class Trainer {
  readonly model: SimSiamModel;
  private readonly sgd: Sgd;
  private rng: Prng;
  /** optimizer steps done so far over the whole run */
  private globalStep = 0;

  constructor(
    readonly config: TrainingConfig,
    readonly stepsPerEpoch: number,
  ) {
    if (!(stepsPerEpoch >= 1)) throw new Error('stepsPerEpoch must be >= 1');
    this.model = new SimSiamModel(config);
    const trainable = this.model.store.list().filter((p) => p.trainable);
    this.sgd = new Sgd(
      trainable.map((param) => ({ param, group: config.fixPredictorLr && param.name.startsWith('predictor.') ? 'fixed' : 'scheduled' })),
      config.momentum,
      config.weightDecay,
    );
    this.rng = new Prng(augmentSeed(config.seed));
  }

  /** Optimizer steps done so far (the schedule position). */
  get completedSteps(): number {
    return this.globalStep;
  }

  get epoch(): number {
    return Math.floor(this.globalStep / this.stepsPerEpoch);
  }

  /** Learning rate the next step will use (scheduled group). */
  get lr(): number {
    return scheduledLr(this.config, this.globalStep, this.stepsPerEpoch);
  }

  /** One SGD step on two augmented views of `images` (uint8, [N, H, W, C]). */
  step(images: ImageInput): StepResult {
    const lr = this.lr;
    const variables = this.sgd.variables();
    const result = tf.tidy(() => {
      const [x1, x2] = twoViews(images, this.config, this.rng);
      let monitors: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const z1 = this.model.encode(x1, true);
        const z2 = this.model.encode(x2, true);
        const p1 = this.model.predict(z1, true);
        const p2 = this.model.predict(z2, true);
        // kept: tensors made inside variableGrads are disposed when it returns
        monitors = tf.keep(tf.stack([collapseStd(z1), collapseStd(p1)]));
        return simsiamLoss({ z1, z2, p1, p2 }, this.config);
      }, variables);
      this.sgd.step(
        variables.map((v) => grads[v.name]),
        { scheduled: lr, fixed: this.config.fixPredictorLr ? initialLr(this.config) : lr },
      );
      const reported = tf.concat([tf.reshape(value, [1]), monitors!]);
      monitors!.dispose();
      return reported;
    });
    const [loss, zStd, pStd] = result.dataSync();
    result.dispose();
    this.globalStep++;
    return { loss, lr, zStd, pStd };
  }

  /** Frozen-backbone features of `images`, [N, featureDim] row-major. */
  features(images: ImageInput, opts: Partial<FeatureOptions> = {}): Float32Array {
    return extractFeatures(this.model, images, { imageSize: this.config.imageSize, ...opts });
  }

  /**
   * Backbone weights and BN running statistics (names: see README.md). Conv kernels are
   * HWIO (tfjs layout; PyTorch wants OIHW) and linear weights [in, out].
   */
  exportBackbone(): NamedArray[] {
    const prefix = 'backbone.';
    // copy: dataSync may hand out the backend's own storage
    return this.model.store.list(prefix).map((p) => ({ name: p.name.slice(prefix.length), shape: p.variable.shape, data: (p.variable.dataSync() as Float32Array).slice() }));
  }

  /** Everything needed to resume: weights, BN statistics, momentum, step, PRNG state, config. */
  serialize(): Uint8Array {
    const tensors: NamedArray[] = [
      ...this.model.store.list().map((p) => ({ name: PARAM + p.name, shape: p.variable.shape, data: p.variable.dataSync() as Float32Array })),
      ...this.sgd.buffers().map((b) => ({ name: MOMENTUM + b.name, shape: b.variable.shape, data: b.variable.dataSync() as Float32Array })),
    ];
    const meta: CheckpointMeta = { format: 1, config: this.config, stepsPerEpoch: this.stepsPerEpoch, step: this.globalStep, prng: this.rng.state() };
    return encodeCheckpoint({ meta, tensors });
  }

  static restore(bytes: Uint8Array): Trainer {
    const { meta, tensors } = decodeCheckpoint<CheckpointMeta>(bytes);
    if (meta.format !== 1) throw new Error(`unsupported checkpoint format ${meta.format}`);
    const trainer = new Trainer(meta.config, meta.stepsPerEpoch);
    trainer.globalStep = meta.step;
    trainer.rng = new Prng(meta.prng);
    const targets = new Map<string, tf.Variable>([
      ...trainer.model.store.list().map((p) => [PARAM + p.name, p.variable] as const),
      ...trainer.sgd.buffers().map((b) => [MOMENTUM + b.name, b.variable] as const),
    ]);
    if (targets.size !== tensors.length) throw new Error(`checkpoint has ${tensors.length} tensors, model expects ${targets.size}`);
    for (const t of tensors) {
      const v = targets.get(t.name);
      if (!v || v.shape.join() !== t.shape.join()) throw new Error(`checkpoint tensor ${t.name} [${t.shape}] does not fit the model`);
      tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
    }
    return trainer;
  }

  dispose(): void {
    this.sgd.dispose();
    this.model.dispose();
  }
}
