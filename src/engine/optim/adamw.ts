// AdamW (Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019) as torch.optim.AdamW
// computes it, the optimizer MoCo v3 trains ViTs with. Its official code (facebookresearch/moco-v3
// main_moco.py) takes torch's defaults beta = (0.9, 0.999), eps = 1e-8, as does DeiT:
//   p <- p * (1 - lr * wd);  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
//   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// t counts the parameter's own updates, as torch keeps it per parameter: one skipped at a step
// (frozen, say) neither moves nor advances. The counts live in one variable so checkpoints carry them.
import * as tf from '@tensorflow/tfjs';
import { type Param, variableFrom } from '../params.ts';
import type { LrGroup, Optimizer } from './optimizer.ts';

export const ADAMW_BETA1 = 0.9;
export const ADAMW_BETA2 = 0.999;
export const ADAMW_EPS = 1e-8;

/** Name parts of the ViT parameters that get no weight decay (position embeddings, class token). */
export const NO_DECAY_NAMES = ['pos_embed', 'cls_token'];

/** Parameters AdamW does not decay: norms' scale and shift and biases (the rank <= 1 ones), and the
 * ViT's position embeddings and class token (MoCo v3 and DeiT's exclusions). */
export const decayExcluded = (param: Param) => param.variable.rank <= 1 || NO_DECAY_NAMES.some((n) => param.name.includes(n));

interface Slot {
  param: Param;
  group: LrGroup;
  decay: boolean;
  m: tf.Variable;
  v: tf.Variable;
}

export class AdamW implements Optimizer {
  private readonly slots: Slot[];
  /** updates done per parameter, in slot order */
  private readonly steps: tf.Variable;

  constructor(params: Array<{ param: Param; group: LrGroup }>, private readonly weightDecay: number) {
    this.slots = params.map(({ param, group }) => ({
      param,
      group,
      decay: !decayExcluded(param),
      m: variableFrom(tf.zerosLike(param.variable), false),
      v: variableFrom(tf.zerosLike(param.variable), false),
    }));
    this.steps = variableFrom(tf.zeros([params.length]), false);
  }

  get names(): string[] {
    return this.slots.map((s) => s.param.name);
  }

  variables(): tf.Variable[] {
    return this.slots.map((s) => s.param.variable);
  }

  /** First and second moments under `adamw.m/` and `adamw.v/`, the update counts as `adamw.steps`. */
  buffers(): Array<{ name: string; variable: tf.Variable }> {
    return [
      ...this.slots.flatMap((s) => [
        { name: `adamw.m/${s.param.name}`, variable: s.m },
        { name: `adamw.v/${s.param.name}`, variable: s.v },
      ]),
      { name: 'adamw.steps', variable: this.steps },
    ];
  }

  step(grads: Array<tf.Tensor | undefined>, lr: Record<LrGroup, number>): void {
    // float32 counts are exact far beyond any run's length
    const counts = Float32Array.from(this.steps.dataSync());
    tf.tidy(() => {
      this.slots.forEach((slot, i) => {
        const grad = grads[i];
        if (!grad) return;
        const t = ++counts[i];
        const rate = lr[slot.group];
        const p = slot.param.variable;
        const decayed = slot.decay && this.weightDecay > 0 ? tf.mul(p, 1 - rate * this.weightDecay) : p;
        const m = tf.add(tf.mul(slot.m, ADAMW_BETA1), tf.mul(grad, 1 - ADAMW_BETA1));
        const v = tf.add(tf.mul(slot.v, ADAMW_BETA2), tf.mul(tf.square(grad), 1 - ADAMW_BETA2));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - ADAMW_BETA2 ** t)), ADAMW_EPS);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), rate / (1 - ADAMW_BETA1 ** t))));
        slot.m.assign(m);
        slot.v.assign(v);
      });
      this.steps.assign(tf.tensor1d(counts));
    });
  }

  dispose(): void {
    for (const s of this.slots) {
      s.m.dispose();
      s.v.dispose();
    }
    this.steps.dispose();
  }
}
