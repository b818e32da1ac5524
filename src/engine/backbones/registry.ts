// Backbone of a config: what a method builds its encoder on.
import type * as tf from '@tensorflow/tfjs';
import type { Ctx } from '../layers.ts';
import type { BackboneName } from './names.ts';
import { BACKBONE_SPECS } from './specs.ts';
import { resnet } from './resnet.ts';
import { vit } from './vit.ts';
import { type VitOptions, vitOptionsOf } from './vitOptions.ts';
import { featureDim } from './shape.ts';

export interface Backbone {
  featureDim: number;
  /** pooled features [N, featureDim] */
  run(ctx: Ctx, x: tf.Tensor4D): tf.Tensor2D;
}

export function backboneOf(config: { backbone: BackboneName; imageSize: number; checkpointBlocks?: boolean } & Partial<VitOptions>): Backbone {
  const spec = BACKBONE_SPECS[config.backbone];
  if (spec.family === 'resnet') return { featureDim: featureDim(spec), run: (ctx, x) => resnet(ctx, spec, x) };
  const opts = vitOptionsOf(config);
  const checkpoint = config.checkpointBlocks === true;
  return { featureDim: featureDim(spec), run: (ctx, x) => vit(ctx, spec, opts, config.imageSize, x, checkpoint) };
}
