// SGD with momentum and coupled weight decay exactly as torch.optim.SGD (dampening 0, no Nesterov):
//   g <- g + wd * p;  buf <- momentum * buf + g;  p <- p - lr * buf
// tfjs optimizers have no weight decay, and owning the momentum buffers gives them stable names for
// checkpoints. Every parameter belongs to a group whose lr is chosen per step ('fixed' = predictor
// with fixPredictorLr).
import * as tf from '@tensorflow/tfjs';
import { type Param, variableFrom } from './params.ts';
import { FusedKernel, hasFusedKernel, runFused } from './kernels/fused.ts';

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

  /** Names of the parameters this optimizer updates, in slot order. */
  get names(): string[] {
    return this.slots.map((s) => s.param.name);
  }

  /** Variables this optimizer updates, in slot order (the list to differentiate against). */
  variables(): tf.Variable[] {
    return this.slots.map((s) => s.param.variable);
  }

  /** Applies one update; `grads` is aligned with variables(). Like PyTorch, a parameter without a
   * gradient is left alone (no decay, no momentum). */
  step(grads: Array<tf.Tensor | undefined>, lr: Record<LrGroup, number>): void {
    const fused = hasFusedKernel(FusedKernel.sgdUpdate);
    tf.tidy(() => {
      this.slots.forEach((slot, i) => {
        if (!grads[i]) return;
        const p = slot.param.variable;
        const [param, buf] = fused
          ? runFused(FusedKernel.sgdUpdate, { param: p, grad: grads[i], buf: slot.momentum }, { lr: lr[slot.group], momentum: this.momentum, weightDecay: this.weightDecay })
          : this.composedUpdate(p, grads[i]!, slot.momentum, lr[slot.group]);
        slot.momentum.assign(buf);
        p.assign(param);
      });
    });
  }

  /** The update from tfjs ops, for backends without the fused kernel: [param', buf']. */
  private composedUpdate(p: tf.Tensor, grad: tf.Tensor, momentumBuf: tf.Tensor, lr: number): [tf.Tensor, tf.Tensor] {
    const g = this.weightDecay > 0 ? tf.add(grad, tf.mul(p, this.weightDecay)) : grad;
    const buf = tf.add(tf.mul(momentumBuf, this.momentum), g);
    return [tf.sub(p, tf.mul(buf, lr)), buf];
  }

  dispose(): void {
    for (const s of this.slots) s.momentum.dispose();
  }
}
