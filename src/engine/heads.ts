// SimSiam's MLP heads (paper sec. 3 / official builder.py). Hidden layers have no bias since BN
// follows; the projector's output BN has no affine parameters.
import * as tf from '@tensorflow/tfjs';
import { type Ctx, linear } from './layers.ts';
import { batchNorm } from './batchNorm.ts';

function fcBnRelu(ctx: Ctx, name: string, x: tf.Tensor2D, out: number): tf.Tensor2D {
  return tf.relu(batchNorm(ctx, `${name}.bn`, linear(ctx, `${name}.fc`, x, out, false)));
}

export interface ProjectorShape {
  outDim: number;
  layers: 2 | 3;
  /** false = the paper's table 4 ablation: a plain fc with bias, no BN, at the output. */
  outputBn: boolean;
}

/** g: `layers - 1` x (fc-BN-ReLU at the backbone's width), then fc-BN(no affine) to `outDim`. */
export function projector(ctx: Ctx, features: tf.Tensor2D, { outDim, layers, outputBn }: ProjectorShape): tf.Tensor2D {
  const hidden = features.shape[1];
  let y = features;
  for (let i = 0; i < layers - 1; i++) y = fcBnRelu(ctx, `${i}`, y, hidden);
  if (!outputBn) return linear(ctx, 'out.fc', y, outDim, true);
  // Standardising each channel over the batch also keeps z from becoming one constant vector, so
  // the collapse std of z cannot fall to 0 with it (only p's can).
  return batchNorm(ctx, 'out.bn', linear(ctx, 'out.fc', y, outDim, false), { affine: false });
}

/** h: bottleneck MLP d -> hidden -> d, the output layer is a plain fc with bias. */
export function predictor(ctx: Ctx, z: tf.Tensor2D, hidden: number): tf.Tensor2D {
  return linear(ctx, 'out.fc', fcBnRelu(ctx, '0', z, hidden), z.shape[1], true);
}
