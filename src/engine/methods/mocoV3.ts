// MoCo v3 (Chen, Xie & He, An Empirical Study of Training Self-Supervised Vision Transformers, ICCV
// 2021): a query encoder f_q (backbone + projector) followed by a predictor, and a momentum encoder
// f_k (backbone + projector), a copy of f_q moved by theta_k <- m * theta_k + (1 - m) * theta_q.
// No queue: the negatives of a query are the keys of the other images of the batch.
//   q1, q2 = pred(f_q(x1)), pred(f_q(x2));  k1, k2 = f_k(x1), f_k(x2)
//   L = ctr(q1, k2) + ctr(q2, k1),  ctr = InfoNCE over in-batch keys at temperature tau, times 2 tau
// Heads as the official builder: every fc without bias, fc-BN-ReLU hidden layers, a BN without scale
// and shift after the projector's output; the projector has 2 layers for a ResNet and 3 for a ViT,
// the predictor 2, with that output BN for a ViT only. As the official code, each step first moves
// the momentum encoder (m rising from keyMomentum to 1 on a cosine over the run's steps; parameters
// only, its BN statistics are its own), then makes the keys, then the queries under the tape.
// `freezePatchProjection`: the ViT's patch projection keeps its random init (paper sec. 4.2).
//
// Parameters: 'backbone.', 'projector.', 'predictor.'; the momentum encoder's 'key.backbone.',
// 'key.projector.' (frozen, checkpointed).
import * as tf from '@tensorflow/tfjs';
import { mlp } from '../heads.ts';
import { inBatchInfoNce } from '../losses.ts';
import { collapseStd } from '../monitors.ts';
import { copyParams, cosineMomentum, emaUpdate } from '../targets.ts';
import type { MethodConfig } from '../config.ts';
import { MethodBase } from './base.ts';
import { isVit } from '../backbones/names.ts';
import type { MethodInit, MethodOutputs, StepContext, TrainingMethod } from './method.ts';

type Config = MethodConfig<'moco-v3'>;

const KEY = 'key.';
const ONLINE = ['backbone.', 'projector.'];
/** The ViT's patch projection (conv1 of the official --stop-grad-conv1). */
export const PATCH_PROJECTION = 'backbone.patch_embed.';

export class MocoV3 extends MethodBase<Config> implements TrainingMethod {
  private readonly vit: boolean;

  constructor(config: Config) {
    super(config);
    this.vit = isVit(config.backbone);
    if (config.freezePatchProjection && !this.vit) throw new Error(`freezePatchProjection needs a ViT backbone, not ${config.backbone}`);
    tf.tidy(() => {
      // 2 samples, 8 px: parameter shapes depend on neither batch nor resolution
      const x = this.initInput();
      this.predict(this.encode('', x, false), false);
      this.encode(KEY, x, false);
    });
    // the momentum encoder starts as a copy of the query encoder
    for (const part of ONLINE) copyParams(this.store, part, KEY + part);
  }

  /** f(x) = projector(backbone(x)) of the query encoder (`root` '') or the momentum encoder. */
  encode(root: string, x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    const frozen = root !== '';
    const { projectorLayers, projectorHiddenDim, projectorDim } = this.config;
    const features = this.net.run(this.ctx(`${root}backbone.`, training, frozen), x);
    return mlp(this.ctx(`${root}projector.`, training, frozen), features, {
      hidden: Array<number>(projectorLayers - 1).fill(projectorHiddenDim),
      out: projectorDim,
      hiddenBn: true,
      outputBn: true,
      outputAffine: false,
    });
  }

  predict(z: tf.Tensor2D, training: boolean): tf.Tensor2D {
    return mlp(this.ctx('predictor.', training), z, {
      hidden: [this.config.predictorHiddenDim],
      out: this.config.projectorDim,
      hiddenBn: true,
      outputBn: this.vit,
      outputAffine: false,
      outputBias: false,
    });
  }

  /** The momentum update at this step's m, then the keys of both views (no gradient). */
  prepare({ views, step, stepsPerEpoch }: StepContext): tf.Tensor[] {
    const m = cosineMomentum(this.config.keyMomentum, step, this.config.epochs * stepsPerEpoch);
    for (const part of ONLINE) emaUpdate(this.store, part, KEY + part, m, 'trainable');
    return views.map((x) => this.encode(KEY, x, true));
  }

  loss({ views: [x1, x2] }: StepContext, [k1, k2]: tf.Tensor[]): MethodOutputs {
    const { temperature } = this.config;
    const z1 = this.encode('', x1, true);
    const q1 = this.predict(z1, true);
    const q2 = this.predict(this.encode('', x2, true), true);
    const loss = tf.add(inBatchInfoNce(q1, k2 as tf.Tensor2D, temperature), inBatchInfoNce(q2, k1 as tf.Tensor2D, temperature)) as tf.Scalar;
    return { loss, zStd: collapseStd(z1), pStd: collapseStd(q1) };
  }

  frozenAt(): string[] {
    return this.config.freezePatchProjection ? [PATCH_PROJECTION] : [];
  }

  lrGroup(): 'scheduled' {
    return 'scheduled';
  }
}

export const createMocoV3 = ({ config }: MethodInit<'moco-v3'>) => new MocoV3(config);
