// SimCLR (Chen et al., ICML 2020): encoder f = backbone, projection head g (fc-BN-ReLU-fc-BN),
// z = g(f(x)) for two views of every image, and NT-Xent: each view's positive is the other view of
// its image, its negatives the other 2N-2 views of the batch, cosine similarity over a temperature.
// Parameters: 'backbone.', 'projector.'. LARS is the config's `optimizer`, not the method's.
import * as tf from '@tensorflow/tfjs';
import { mlp } from '../heads.ts';
import { ntXent } from '../losses.ts';
import { collapseStd } from '../monitors.ts';
import type { MethodConfig } from '../config.ts';
import { MethodBase } from './base.ts';
import type { MethodInit, MethodOutputs, StepContext, TrainingMethod } from './method.ts';

export class SimClr extends MethodBase<MethodConfig<'simclr'>> implements TrainingMethod {

  constructor(config: MethodConfig<'simclr'>) {
    super(config);
    // 2 samples, 8 px: parameter shapes depend on neither batch nor resolution
    tf.tidy(() => {
      this.project(this.initInput(), false);
    });
  }

  /** z = g(f(x)); the head has BN after both layers, as the official code's projection head. */
  project(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    return mlp(this.ctx('projector.', training), this.backbone(x, training), {
      hidden: [this.config.projectorHiddenDim],
      out: this.config.projectorDim,
      hiddenBn: true,
      outputBn: true,
    });
  }

  /** Both views go through the encoder as one batch of 2N, as in the official code: BN statistics
   * span both views. */
  loss({ views }: StepContext): MethodOutputs {
    const [z1, z2] = tf.split(this.project(tf.concat(views), true), 2) as tf.Tensor2D[];
    const zStd = collapseStd(z1);
    return { loss: ntXent(z1, z2, this.config.temperature), zStd, pStd: zStd };
  }

  lrGroup(): 'scheduled' {
    return 'scheduled';
  }
}

export const createSimClr = ({ config }: MethodInit<'simclr'>) => new SimClr(config);
