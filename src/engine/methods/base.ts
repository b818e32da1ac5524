// What every method shares: its parameters in one ParamStore seeded from the config (online and
// frozen target networks alike), its backbone, two views at the training size unless it asks for
// more, and frozen-backbone features for embeddings, probes and kNN.
import * as tf from '@tensorflow/tfjs';
import { ParamStore } from '../params.ts';
import { Prng } from '../prng.ts';
import type { Ctx } from '../layers.ts';
import { type Backbone, backboneOf } from '../backbones/registry.ts';
import { isVit } from '../backbones/names.ts';
import { vitOptionsOf } from '../backbones/vitOptions.ts';
import type { EngineConfig } from '../config.ts';
import type { ViewSpec } from './method.ts';

export abstract class MethodBase<C extends EngineConfig> {
  readonly store: ParamStore;
  readonly views: ViewSpec[];
  protected readonly net: Backbone;

  constructor(readonly config: C) {
    this.net = backboneOf(config);
    this.views = [{ count: 2, size: config.imageSize }];
    this.store = new ParamStore(new Prng(config.seed));
  }

  get featureDim(): number {
    return this.net.featureDim;
  }

  /** the collapse monitor watches the projection */
  get monitorDim(): number {
    return this.config.projectorDim;
  }

  /** Layers' view of the parameters under `prefix`; `frozen` creates them non-trainable (targets). */
  protected ctx(prefix: string, training: boolean, frozen = false): Ctx {
    return { store: this.store.scoped(prefix, frozen), training };
  }

  /** A small batch whose forward pass creates every parameter: 8 px, or one patch for a ViT. */
  protected initInput(): tf.Tensor4D {
    const size = isVit(this.config.backbone) ? vitOptionsOf(this.config).patchSize : 8;
    return tf.zeros([2, size, size, this.config.channels]);
  }

  backbone(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    return this.net.run(this.ctx('backbone.', training), x);
  }

  dispose(): void {
    this.store.dispose();
  }
}
