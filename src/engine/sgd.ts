// SGD with momentum and coupled weight decay exactly as torch.optim.SGD (dampening 0, no Nesterov):
//   g <- g + wd * p;  buf <- momentum * buf + g;  p <- p - lr * buf
// tfjs optimizers have no weight decay, and owning the momentum buffers gives them stable names for
// checkpoints. Every parameter belongs to a group whose lr is chosen per step ('fixed' = predictor
// with fixPredictorLr).
import * as tf from '@tensorflow/tfjs';
import { type Param, variableFrom } from './params.ts';

export type LrGroup = 'scheduled' | 'fixed';

interface Slot {
  param: Param;
  group: LrGroup;
  momentum: tf.Variable;
}

export class Sgd {
  private readonly slots: Slot[];

  constructor(
    params: Array<{ param: Param; group: LrGroup }>,
    private readonly momentum: number,
    private readonly weightDecay: number,
  ) {
    this.slots = params.map(({ param, group }) => ({
      param,
      group,
      momentum: variableFrom(tf.zerosLike(param.variable), false),
    }));
  }

  /** Momentum buffers, named after their parameter, in parameter order. */
  buffers(): Array<{ name: string; variable: tf.Variable }> {
    return this.slots.map((s) => ({ name: s.param.name, variable: s.momentum }));
  }

  /** Variables this optimizer updates, in slot order (the list to differentiate against). */
  variables(): tf.Variable[] {
    return this.slots.map((s) => s.param.variable);
  }

  /** Applies one update; `grads` is aligned with variables(). Like PyTorch, a parameter without a
   * gradient is left alone (no decay, no momentum). */
  step(grads: Array<tf.Tensor | undefined>, lr: Record<LrGroup, number>): void {
    tf.tidy(() => {
      this.slots.forEach((slot, i) => {
        if (!grads[i]) return;
        const p = slot.param.variable;
        const g = this.weightDecay > 0 ? tf.add(grads[i]!, tf.mul(p, this.weightDecay)) : grads[i]!;
        const buf = tf.add(tf.mul(slot.momentum, this.momentum), g);
        slot.momentum.assign(buf);
        p.assign(tf.sub(p, tf.mul(buf, lr[slot.group])));
      });
    });
  }

  dispose(): void {
    for (const s of this.slots) s.momentum.dispose();
  }
}
