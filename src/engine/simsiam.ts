// The SimSiam network: encoder f = backbone + projector, predictor h. Parameters live in one
// ParamStore under the prefixes 'backbone.', 'projector.', 'predictor.' in that order.
import * as tf from '@tensorflow/tfjs';
import type { TrainingConfig } from '../domain/trainingConfig.ts';
import { ParamStore } from './params.ts';
import { Prng } from './prng.ts';
import type { Ctx } from './layers.ts';
import { BACKBONE_SPECS } from './backbones/specs.ts';
import { type ResNetSpec, resnet } from './backbones/resnet.ts';
import { featureDim } from './backbones/shape.ts';
import { predictor, projector } from './heads.ts';

export type ModelConfig = Pick<
  TrainingConfig,
  'backbone' | 'channels' | 'projectorDim' | 'predictorHiddenDim' | 'projectorLayers' | 'projectorOutputBn' | 'predictor' | 'seed'
>;

export class SimSiamModel {
  readonly store: ParamStore;
  readonly spec: ResNetSpec;

  /** Creates every parameter (seeded from config.seed) by running the network once on a tiny batch. */
  constructor(readonly config: ModelConfig) {
    this.spec = BACKBONE_SPECS[config.backbone];
    this.store = new ParamStore(new Prng(config.seed));
    tf.tidy(() => {
      // 2 samples, 8 px: parameter shapes depend on neither batch nor resolution
      const x = tf.zeros([2, 8, 8, config.channels]) as tf.Tensor4D;
      const z = this.encode(x, false);
      if (config.predictor === 'mlp') this.predict(z, false);
    });
  }

  get featureDim(): number {
    return featureDim(this.spec);
  }

  private ctx(prefix: string, training: boolean): Ctx {
    return { store: this.store.scoped(prefix), training };
  }

  /** Backbone features after global average pooling, [N, featureDim]. */
  backbone(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    return resnet(this.ctx('backbone.', training), this.spec, x);
  }

  /** z = projector(backbone(x)), [N, projectorDim]. */
  encode(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    const c = this.config;
    const shape = { outDim: c.projectorDim, layers: c.projectorLayers, outputBn: c.projectorOutputBn };
    return projector(this.ctx('projector.', training), this.backbone(x, training), shape);
  }

  /** p = h(z); the identity in the paper's no-predictor ablation. */
  predict(z: tf.Tensor2D, training: boolean): tf.Tensor2D {
    const c = this.config;
    return c.predictor === 'mlp' ? predictor(this.ctx('predictor.', training), z, c.predictorHiddenDim) : z;
  }

  dispose(): void {
    this.store.dispose();
  }
}
