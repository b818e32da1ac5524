// BYOL (Grill et al., NeurIPS 2020): an online network (backbone f, projector g, predictor q) learns
// to predict the projection of another view made by a target network, an exponential moving average
// of the online f and g:
//   L = ||q(z1)/|q(z1)| - z'2/|z'2| ||^2 + (the same with the views swapped), with 2 - 2 cos = that
//   squared distance of unit vectors;
//   xi <- tau xi + (1 - tau) theta after every step, tau = 1 - (1 - tau_base)(cos(pi k / K) + 1) / 2
//   over the run's K steps.
// Heads are fc-BN-ReLU-fc (hidden 4096, out 256). Parameters: 'backbone.', 'projector.',
// 'predictor.'; the target's 'target.backbone.' and 'target.projector.' (frozen, checkpointed).
import * as tf from '@tensorflow/tfjs';
import { mlp } from '../heads.ts';
import { normalizedSquaredError } from '../losses.ts';
import { collapseStd } from '../monitors.ts';
import { copyParams, cosineMomentum, emaUpdate } from '../targets.ts';
import type { MethodConfig } from '../config.ts';
import { MethodBase } from './base.ts';
import type { MethodInit, MethodOutputs, StepContext, TrainingMethod } from './method.ts';

type Config = MethodConfig<'byol'>;

const TARGET = 'target.';
const ONLINE = ['backbone.', 'projector.'];

export class Byol extends MethodBase<Config> implements TrainingMethod {

  constructor(config: Config) {
    super(config);
    tf.tidy(() => {
      // 2 samples, 8 px: parameter shapes depend on neither batch nor resolution
      const x = this.initInput();
      this.predict(this.encode('', x, false), false);
      this.encode(TARGET, x, false);
    });
    // the target starts as a copy of the online network
    for (const part of ONLINE) copyParams(this.store, part, TARGET + part);
  }

  /** z = g(f(x)) of the online network (`root` '') or the target. */
  encode(root: string, x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    const frozen = root !== '';
    const features = this.net.run(this.ctx(`${root}backbone.`, training, frozen), x);
    return mlp(this.ctx(`${root}projector.`, training, frozen), features, { hidden: [this.config.projectorHiddenDim], out: this.config.projectorDim, hiddenBn: true, outputBn: false });
  }

  predict(z: tf.Tensor2D, training: boolean): tf.Tensor2D {
    return mlp(this.ctx('predictor.', training), z, { hidden: [this.config.predictorHiddenDim], out: this.config.projectorDim, hiddenBn: true, outputBn: false });
  }

  /** Target projections of both views (no gradient: computed before the tape). */
  prepare({ views }: StepContext): tf.Tensor[] {
    return views.map((x) => this.encode(TARGET, x, true));
  }

  loss({ views: [x1, x2] }: StepContext, [t1, t2]: tf.Tensor[], _detach: (t: tf.Tensor) => void): MethodOutputs {
    const z1 = this.encode('', x1, true);
    const z2 = this.encode('', x2, true);
    const p1 = this.predict(z1, true);
    const p2 = this.predict(z2, true);
    const loss = tf.add(normalizedSquaredError(p1, t2 as tf.Tensor2D), normalizedSquaredError(p2, t1 as tf.Tensor2D)) as tf.Scalar;
    return { loss, zStd: collapseStd(z1), pStd: collapseStd(p1) };
  }

  lrGroup(): 'scheduled' {
    return 'scheduled';
  }

  afterStep({ step, stepsPerEpoch }: StepContext): void {
    const tau = cosineMomentum(this.config.tauBase, step, this.config.epochs * stepsPerEpoch);
    for (const part of ONLINE) emaUpdate(this.store, part, TARGET + part, tau);
  }
}

export const createByol = ({ config }: MethodInit<'byol'>) => new Byol(config);
