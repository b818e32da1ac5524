// MLP heads of the Siamese methods (lightly's split: heads, losses, methods). Linear layers followed
// by BN have no bias; a layer without BN has one.
import * as tf from '@tensorflow/tfjs';
import { type Ctx, linear } from './layers.ts';
import { batchNorm } from './batchNorm.ts';
import { relu } from './relu.ts';

export interface MlpShape {
  /** widths of the hidden layers (fc-[BN]-ReLU each) */
  hidden: number[];
  out: number;
  hiddenBn: boolean;
  /** BN after the output fc; `outputAffine` false = no learnable scale/shift (SimSiam's projector) */
  outputBn: boolean;
  outputAffine?: boolean;
  /** a bias on the output fc; default: when it has no BN (MoCo v3's heads have none at all) */
  outputBias?: boolean;
}

/** fc-[BN]-ReLU per hidden width, then fc-[BN] to `out`. Parameter names: `{i}.fc`, `{i}.bn`, `out.fc`, `out.bn`. */
export function mlp(ctx: Ctx, x: tf.Tensor2D, shape: MlpShape): tf.Tensor2D {
  let y = x;
  shape.hidden.forEach((width, i) => {
    const h = linear(ctx, `${i}.fc`, y, width, !shape.hiddenBn);
    y = relu(shape.hiddenBn ? batchNorm(ctx, `${i}.bn`, h) : h);
  });
  const out = linear(ctx, 'out.fc', y, shape.out, shape.outputBias ?? !shape.outputBn);
  return shape.outputBn ? batchNorm(ctx, 'out.bn', out, { affine: shape.outputAffine ?? true }) : out;
}
