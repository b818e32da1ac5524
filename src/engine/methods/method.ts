// What a training method is to the trainer. The trainer owns the augmentation PRNG, the optimizer and
// the schedule; a method owns its networks (all parameters in one ParamStore, so checkpoints hold
// online and target networks alike), its host-side state (queues, memory banks), its loss and the
// state updates that follow each optimizer step.
import type * as tf from '@tensorflow/tfjs';
import type { ParamStore } from '../params.ts';
import type { NamedArray } from '../checkpoint.ts';
import type { MethodConfig } from '../config.ts';
import type { MethodName } from './settings.ts';

export interface StepContext {
  /** augmented views, in the order of the method's `views` */
  views: tf.Tensor4D[];
  /** dataset positions of the batch rows, for per-image state (memory banks) */
  indices: Int32Array;
  /** optimizer steps done before this one, over the whole run */
  step: number;
  stepsPerEpoch: number;
}

export interface MethodOutputs {
  loss: tf.Scalar;
  /** collapse monitors: std of the l2-normalised online representation and of the prediction or
   * assignment (the representation again where a method has neither) */
  zStd: tf.Scalar;
  pStd: tf.Scalar;
}

/** Which views to draw per image: `count` views at `size` px with the crop scale range `scale`. */
export interface ViewSpec {
  count: number;
  size: number;
  scale?: [number, number];
}

export interface TrainingMethod {
  readonly store: ParamStore;
  readonly featureDim: number;
  /** dimension of the representation the collapse monitor watches (healthy std ~ 1/sqrt(dim)) */
  readonly monitorDim: number;
  readonly views: ViewSpec[];
  /** backbone features [N, featureDim] (embeddings, probes, kNN) */
  backbone(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  /** Work before the gradient tape (no gradient): targets from target networks, memory reads. The
   * returned tensors live until `afterStep`. */
  prepare?(ctx: StepContext): tf.Tensor[];
  /** The loss and monitors, under the gradient tape. `detach` hands tensors to `afterStep`. */
  loss(ctx: StepContext, prepared: tf.Tensor[], detach: (t: tf.Tensor) => void): MethodOutputs;
  /** Parameter-name prefixes that get no update at this step (frozen prototypes, say). */
  frozenAt?(step: number, stepsPerEpoch: number): string[];
  /** lr group of a trainable parameter: 'fixed' keeps the initial lr */
  lrGroup(name: string): 'scheduled' | 'fixed';
  /** State updates after the optimizer step: EMA targets, queues, memory banks. */
  afterStep?(ctx: StepContext, prepared: tf.Tensor[], detached: tf.Tensor[]): void;
  /** host-side state for checkpoints (beside the ParamStore's variables) */
  hostState?(): NamedArray[];
  restoreHostState?(arrays: NamedArray[]): void;
  dispose(): void;
}

export interface MethodInit<M extends MethodName> {
  config: MethodConfig<M>;
  /** images in the training set (sizes per-image state) */
  datasetSize: number;
}

export type MethodFactory<M extends MethodName> = (init: MethodInit<M>) => TrainingMethod;
