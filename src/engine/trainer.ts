// One training run of any method: the method's networks and state, the optimizer, the schedule
// position and the augmentation PRNG. step() takes a uint8 batch and performs one update;
// serialize()/Trainer.restore() capture all of it so a resumed run continues exactly where it stopped.
import * as tf from '@tensorflow/tfjs';
import { type EngineConfig, engineFields } from './config.ts';
import { createMethod } from './methods/registry.ts';
import type { StepContext, TrainingMethod } from './methods/method.ts';
import { type Optimizer, clipByGlobalNorm, createOptimizer } from './optim/index.ts';
import { Prng, type PrngState } from './prng.ts';
import { initialLr, scheduledLr } from './schedule.ts';
import { type ImageInput, augmentViews } from './augment.ts';
import { type FeatureOptions, extractFeatures } from './features.ts';
import { type NamedArray, decodeCheckpoint, encodeCheckpoint } from './checkpoint.ts';
import { configDifferences, upgradeConfig, upgradeLegacyConfig } from './configCheck.ts';
import { variableGrads } from './variableGrads.ts';

export interface StepResult {
  loss: number;
  /** learning rate of the scheduled group used by this step */
  lr: number;
  /** collapse monitors (see TrainingMethod): healthy ~ 1/sqrt(monitorDim) */
  zStd: number;
  pStd: number;
}

interface CheckpointMeta {
  /** 1: SimSiam only, meta.config the whole job config; 2: engine settings only */
  format: 1 | 2;
  config: EngineConfig;
  stepsPerEpoch: number;
  datasetSize?: number;
  step: number;
  prng: PrngState;
}

const PARAM = 'param/';
const STATE = 'state/';

/** Augmentation draws use their own stream, independent of the weight-init stream. */
const augmentSeed = (seed: number) => (seed ^ 0x5f3759df) >>> 0;

export class Trainer {
  readonly method: TrainingMethod;
  /** the engine's fields of the config it was given (a caller's own settings dropped) */
  readonly config: EngineConfig;
  private readonly optimizer: Optimizer;
  private rng: Prng;
  /** optimizer steps done so far over the whole run */
  private globalStep = 0;

  constructor(
    config: EngineConfig,
    readonly stepsPerEpoch: number,
    /** images in the training set; sizes per-image state such as a memory bank */
    readonly datasetSize = stepsPerEpoch * config.batchSize,
  ) {
    if (!(stepsPerEpoch >= 1)) throw new Error('stepsPerEpoch must be >= 1');
    this.config = engineFields(config) as EngineConfig;
    this.method = createMethod(this.config, datasetSize);
    const trainable = this.method.store.list().filter((p) => p.trainable);
    this.optimizer = createOptimizer(this.config, trainable.map((param) => ({ param, group: this.method.lrGroup(param.name) })));
    this.rng = new Prng(augmentSeed(config.seed));
  }

  /** Optimizer steps done so far (the schedule position). */
  get completedSteps(): number {
    return this.globalStep;
  }

  get epoch(): number {
    return Math.floor(this.globalStep / this.stepsPerEpoch);
  }

  get featureDim(): number {
    return this.method.featureDim;
  }

  /**
   * Sets the run's length after it started (a time budget turned into epochs). Refused once the
   * cosine has begun: before that, every length gives the same learning rates (schedule.ts).
   */
  replan(epochs: number): void {
    // steps taken so far all lie in epochs whose lr does not depend on the length
    if (this.globalStep > (this.config.warmupEpochs + 1) * this.stepsPerEpoch) throw new Error(`cannot change epochs at step ${this.globalStep}: the schedule already depends on them`);
    this.config.epochs = epochs;
  }

  /** Learning rate the next step will use (scheduled group). */
  get lr(): number {
    return scheduledLr(this.config, this.globalStep, this.stepsPerEpoch);
  }

  /** One update on augmented views of `images` (uint8, [N, H, W, C]); `indices` are the images'
   * dataset positions (needed by methods with per-image state; default 0..N-1). */
  step(images: ImageInput, indices?: Int32Array): StepResult {
    const views = augmentViews(images, this.config, this.rng, this.method.views);
    try {
      return this.stepOnViews(views, indices);
    } finally {
      tf.dispose(views);
    }
  }

  /** One update on views already augmented (the method's `views`, in order). */
  stepOnViews(views: tf.Tensor4D[], indices?: Int32Array): StepResult {
    const lr = this.lr;
    const variables = this.optimizer.variables();
    const ctx = this.context(views, indices);
    const result = tf.tidy(() => {
      const prepared = this.method.prepare?.(ctx) ?? [];
      const detached: tf.Tensor[] = [];
      let monitors: tf.Tensor | undefined;
      const { value, grads } = variableGrads(() => {
        const out = this.method.loss(ctx, prepared, (t) => detached.push(tf.keep(t)));
        // kept: tensors made inside variableGrads are disposed when it returns
        monitors = tf.keep(tf.stack([out.zStd, out.pStd]));
        return out.loss;
      }, variables);
      const frozen = this.method.frozenAt?.(this.globalStep, this.stepsPerEpoch) ?? [];
      const updated = variables.map((v, i) => (frozen.some((prefix) => this.optimizer.names[i].startsWith(prefix)) ? undefined : grads[v.name]));
      const { gradClip } = this.config;
      this.optimizer.step(gradClip === null ? updated : clipByGlobalNorm(updated, gradClip), { scheduled: lr, fixed: initialLr(this.config) });
      this.method.afterStep?.(ctx, prepared, detached);
      tf.dispose(detached);
      const reported = tf.concat([tf.reshape(value, [1]), monitors!]);
      monitors!.dispose();
      return reported;
    });
    const [loss, zStd, pStd] = result.dataSync();
    result.dispose();
    this.globalStep++;
    return { loss, lr, zStd, pStd };
  }

  /** The loss and the gradient of every trainable parameter on `views`, without an update (for
   * checks against a reference implementation). BN running statistics do move, as in any forward. */
  gradients(views: tf.Tensor4D[], indices?: Int32Array): { loss: number; grads: NamedArray[] } {
    const ctx = this.context(views, indices);
    const variables = this.optimizer.variables();
    return tf.tidy(() => {
      const prepared = this.method.prepare?.(ctx) ?? [];
      const { value, grads } = variableGrads(() => this.method.loss(ctx, prepared, () => {}).loss, variables);
      return {
        loss: value.dataSync()[0],
        grads: variables.map((v, i) => ({ name: this.optimizer.names[i], shape: v.shape, data: (grads[v.name].dataSync() as Float32Array).slice() })),
      };
    });
  }

  private context(views: tf.Tensor4D[], indices?: Int32Array): StepContext {
    return {
      views,
      indices: indices ?? Int32Array.from({ length: views[0].shape[0] }, (_, i) => i),
      step: this.globalStep,
      stepsPerEpoch: this.stepsPerEpoch,
    };
  }

  /** Frozen-backbone features of `images`, [N, featureDim] row-major. */
  features(images: ImageInput, opts: Partial<FeatureOptions> = {}): Float32Array {
    return extractFeatures(this.method, images, { imageSize: this.config.imageSize, ...opts });
  }

  /**
   * Backbone weights and BN running statistics (names: see README.md). Conv kernels are
   * HWIO (tfjs layout; PyTorch wants OIHW) and linear weights [in, out].
   */
  exportBackbone(): NamedArray[] {
    const prefix = 'backbone.';
    // copy: dataSync may hand out the backend's own storage
    return this.method.store.list(prefix).map((p) => ({ name: p.name.slice(prefix.length), shape: p.variable.shape, data: (p.variable.dataSync() as Float32Array).slice() }));
  }

  /** Everything needed to resume: weights, target networks, optimizer state, the method's host
   * state (queues, memory banks), step, PRNG state, engine config. */
  serialize(): Uint8Array {
    const tensors: NamedArray[] = [
      ...this.method.store.list().map((p) => ({ name: PARAM + p.name, shape: p.variable.shape, data: p.variable.dataSync() as Float32Array })),
      ...this.optimizer.buffers().map((b) => ({ name: b.name, shape: b.variable.shape, data: b.variable.dataSync() as Float32Array })),
      ...(this.method.hostState?.() ?? []).map((s) => ({ ...s, name: STATE + s.name })),
    ];
    const meta: CheckpointMeta = {
      format: 2,
      config: this.config,
      stepsPerEpoch: this.stepsPerEpoch,
      datasetSize: this.datasetSize,
      step: this.globalStep,
      prng: this.rng.state(),
    };
    return encodeCheckpoint({ meta, tensors });
  }

  /** Resumes a run. With `expected`, a checkpoint written under another engine config is refused:
   * training it on would silently ignore the config the caller asked for. */
  static restore(bytes: Uint8Array, expected?: EngineConfig): Trainer {
    const { meta, tensors } = decodeCheckpoint<CheckpointMeta>(bytes);
    if (meta.format !== 1 && meta.format !== 2) throw new Error(`unsupported checkpoint format ${meta.format}`);
    const config = meta.format === 1 ? upgradeLegacyConfig(meta.config as unknown as Record<string, unknown>) : upgradeConfig(meta.config);
    if (expected) {
      const diff = configDifferences(config, engineFields(expected));
      if (diff.length) throw new Error(`checkpoint was written with another config (${diff.join(', ')}); refusing to resume it`);
    }
    const trainer = new Trainer(config, meta.stepsPerEpoch, meta.datasetSize);
    trainer.globalStep = meta.step;
    trainer.rng = new Prng(meta.prng);
    const targets = new Map<string, tf.Variable>([
      ...trainer.method.store.list().map((p) => [PARAM + p.name, p.variable] as const),
      ...trainer.optimizer.buffers().map((b) => [b.name, b.variable] as const),
    ]);
    const state = tensors.filter((t) => t.name.startsWith(STATE));
    const expectedState = trainer.method.hostState?.().length ?? 0;
    if (targets.size + expectedState !== tensors.length) {
      throw new Error(`checkpoint has ${tensors.length} tensors, model expects ${targets.size + expectedState}`);
    }
    for (const t of tensors) {
      if (t.name.startsWith(STATE)) continue;
      const v = targets.get(t.name);
      if (!v || v.shape.join() !== t.shape.join()) throw new Error(`checkpoint tensor ${t.name} [${t.shape}] does not fit the model`);
      tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
    }
    if (state.length) trainer.method.restoreHostState!(state.map((s) => ({ ...s, name: s.name.slice(STATE.length) })));
    return trainer;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.method.dispose();
  }
}
