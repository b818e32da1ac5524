// SGD with momentum and coupled weight decay exactly as torch.optim.SGD (dampening 0, no Nesterov):
//   g <- g + wd * p;  buf <- momentum * buf + g;  p <- p - lr * buf
// tfjs optimizers have no weight decay, and owning the momentum buffers gives them stable names for
// checkpoints. Every parameter belongs to a group whose lr is chosen per step ('fixed' = predictor
// with fixPredictorLr).
import * as tf from '@tensorflow/tfjs';
import { type Param, variableFrom } from '../params.ts';
import { FusedKernel, hasFusedKernel, runFused } from '../kernels/fused.ts';
import type { LrGroup, Optimizer } from './optimizer.ts';

export interface Slot {
  param: Param;
  group: LrGroup;
  momentum: tf.Variable;
}

export class Sgd implements Optimizer {
  private readonly slots: Slot[];

  constructor(
    params: Array<{ param: Param; group: LrGroup }>,
    protected readonly momentum: number,
    protected readonly weightDecay: number,
  ) {
    this.slots = params.map(({ param, group }) => ({
      param,
      group,
      momentum: variableFrom(tf.zerosLike(param.variable), false),
    }));
  }

  /** Momentum buffers, `momentum/<parameter>`, in parameter order. */
  buffers(): Array<{ name: string; variable: tf.Variable }> {
    return this.slots.map((s) => ({ name: `momentum/${s.param.name}`, variable: s.momentum }));
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
    tf.tidy(() => {
      this.slots.forEach((slot, i) => {
        if (grads[i]) this.apply(slot, grads[i]!, lr[slot.group]);
      });
    });
  }

  /** One parameter's update (a subclass may rescale the gradient first). */
  protected apply(slot: Slot, grad: tf.Tensor, lr: number): void {
    this.momentumStep(slot, grad, lr, this.weightDecay);
  }

  /** buf <- momentum * buf + (grad + weightDecay * p); p <- p - lr * buf, fused where the backend can. */
  protected momentumStep(slot: Slot, grad: tf.Tensor, lr: number, weightDecay: number): void {
    const p = slot.param.variable;
    const [param, buf] = hasFusedKernel(FusedKernel.sgdUpdate)
      ? runFused(FusedKernel.sgdUpdate, { param: p, grad, buf: slot.momentum }, { lr, momentum: this.momentum, weightDecay })
      : composedUpdate(p, grad, slot.momentum, lr, this.momentum, weightDecay);
    slot.momentum.assign(buf);
    p.assign(param);
  }

  dispose(): void {
    for (const s of this.slots) s.momentum.dispose();
  }
}

/** The update from tfjs ops, for backends without the fused kernel: [param', buf']. */
function composedUpdate(p: tf.Tensor, grad: tf.Tensor, momentumBuf: tf.Tensor, lr: number, momentum: number, weightDecay: number): [tf.Tensor, tf.Tensor] {
  const g = weightDecay > 0 ? tf.add(grad, tf.mul(p, weightDecay)) : grad;
  const buf = tf.add(tf.mul(momentumBuf, momentum), g);
  return [tf.sub(p, tf.mul(buf, lr)), buf];
}
