// A ResNet as data (stem, block kind, per-stage widths and depths) and one description of its
// topology: stem, stages (the first block of every stage after the first halves the resolution),
// global average pooling. Output: [N, featureDim] features, the input of the projector.
import * as tf from '@tensorflow/tfjs';
import type { Ctx } from '../layers.ts';
import { type NetOps, tensorOps } from './ops.ts';
import { type StemKind, stem } from './stem.ts';
import { type BlockKind, residualBlock } from './blocks.ts';

export interface ResNetSpec {
  stem: StemKind;
  stemWidth: number;
  block: BlockKind;
  widths: number[];
  depths: number[];
}

/** The topology over any NetOps; ends in global average pooling. */
export function resnetGraph<T>(ops: NetOps<T>, spec: ResNetSpec, x: T): T {
  let y = ops.scope(() => stem(ops, spec.stem, x, spec.stemWidth));
  spec.widths.forEach((width, stage) => {
    for (let i = 0; i < spec.depths[stage]; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const input = y;
      y = ops.scope(() => residualBlock(ops, `layer${stage + 1}.${i}`, spec.block, input, width, stride));
    }
  });
  return ops.globalAvgPool(y);
}

export function resnet(ctx: Ctx, spec: ResNetSpec, x: tf.Tensor4D): tf.Tensor2D {
  const pooled = resnetGraph(tensorOps(ctx), spec, x);
  return tf.reshape(pooled, [pooled.shape[0], pooled.shape[3]]);
}
