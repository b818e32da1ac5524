// Backbone by name: what a method builds its encoder on.
import type * as tf from '@tensorflow/tfjs';
import type { Ctx } from '../layers.ts';
import type { BackboneName } from './names.ts';
import { BACKBONE_SPECS } from './specs.ts';
import { resnet } from './resnet.ts';
import { featureDim } from './shape.ts';

export interface Backbone {
  featureDim: number;
  /** pooled features [N, featureDim] */
  run(ctx: Ctx, x: tf.Tensor4D): tf.Tensor2D;
}

export function backboneOf(name: BackboneName): Backbone {
  const spec = BACKBONE_SPECS[name];
  return { featureDim: featureDim(spec), run: (ctx, x) => resnet(ctx, spec, x) };
}
