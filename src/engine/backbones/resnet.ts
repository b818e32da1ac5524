// A ResNet as data (stem, block kind, per-stage widths and depths) and one function that runs it:
// stem, stages (the first block of every stage after the first halves the resolution), global
// average pooling. Output: [N, featureDim] features, the input of the projector.
import * as tf from '@tensorflow/tfjs';
import type { Ctx } from '../layers.ts';
import { type StemKind, stem } from './stem.ts';
import { type BlockKind, residualBlock } from './blocks.ts';

export interface ResNetSpec {
  stem: StemKind;
  stemWidth: number;
  block: BlockKind;
  widths: number[];
  depths: number[];
}

export function resnet(ctx: Ctx, spec: ResNetSpec, x: tf.Tensor4D): tf.Tensor2D {
  let y = stem(ctx, spec.stem, x, spec.stemWidth);
  spec.widths.forEach((width, stage) => {
    for (let i = 0; i < spec.depths[stage]; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      y = residualBlock(ctx, `layer${stage + 1}.${i}`, spec.block, y, width, stride);
    }
  });
  return tf.mean(y, [1, 2]) as tf.Tensor2D;
}
