// What the trainer needs of an optimizer, and the config's `optimizer` by name.
import type * as tf from '@tensorflow/tfjs';
import type { Param } from '../params.ts';

export type LrGroup = 'scheduled' | 'fixed';

export interface Optimizer {
  /** names of the parameters it updates, in slot order */
  readonly names: string[];
  /** the variables it updates, in slot order (the list to differentiate against) */
  variables(): tf.Variable[];
  /** its state (checkpointed), under names of its own: `momentum/<param>` for SGD and LARS */
  buffers(): Array<{ name: string; variable: tf.Variable }>;
  /** one update; `grads` aligned with variables(), undefined = leave that parameter alone */
  step(grads: Array<tf.Tensor | undefined>, lr: Record<LrGroup, number>): void;
  dispose(): void;
}
