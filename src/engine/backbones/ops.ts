// The operations a backbone is written in. One description of each topology runs over two
// implementations: tensors for training and inference (tensorOps), tfjs-layers for the exported
// model (layersExport.ts). Names are parameter-name prefixes ('layer1.0.1' -> '.conv', '.bn').
import * as tf from '@tensorflow/tfjs';
import { type Ctx, conv2d } from '../layers.ts';
import { batchNorm } from '../batchNorm.ts';
import { relu } from '../relu.ts';

export interface NetOps<T> {
  /** kxk conv (no bias, PyTorch-style padding k/2) + BN; `zeroGamma` starts the BN scale at 0 */
  convBn(name: string, x: T, out: number, kernel: number, stride: number, zeroGamma?: boolean): T;
  relu(x: T): T;
  add(name: string, a: T, b: T): T;
  /** max-pool with PyTorch-style padding kernel/2 */
  maxPool(name: string, x: T, kernel: number, stride: number): T;
  globalAvgPool(x: T): T;
  channels(x: T): number;
  /** runs one stage of the graph (the stem, a block); what it makes and does not return may go when it ends */
  scope(f: () => T): T;
}

export function tensorOps(ctx: Ctx): NetOps<tf.Tensor4D> {
  return {
    convBn: (name, x, out, kernel, stride, zeroGamma = false) =>
      batchNorm(ctx, `${name}.bn`, conv2d(ctx, `${name}.conv`, x, out, kernel, stride), { zeroGamma }),
    relu: (x) => relu(x),
    add: (_, a, b) => tf.add(a, b),
    maxPool: (_, x, kernel, stride) => tf.maxPool(x, kernel, stride, Math.floor(kernel / 2)),
    globalAvgPool: (x) => tf.mean(x, [1, 2], true) as tf.Tensor4D,
    channels: (x) => x.shape[3],
    // inside a gradient tape too: what the backward pass needs is kept by the tape
    scope: (f) => tf.tidy(f),
  };
}
