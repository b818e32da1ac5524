// A flat, ordered store of named tf.Variables. Layers get-or-create their parameters by name on
// first use, so the model is plain functions and the insertion order is the stable order used by
// the optimizer slots, checkpoints and exports.
import * as tf from '@tensorflow/tfjs';
import type { Prng } from './prng.ts';

/** Moves `initial` into a new variable. Unnamed: tfjs variable names are process-global and several
 * models may coexist. */
export function variableFrom(initial: tf.Tensor, trainable: boolean): tf.Variable {
  const variable = tf.variable(initial, trainable);
  initial.dispose(); // the variable holds its own reference to the data
  return variable;
}

/** How a parameter's initial values are drawn (PyTorch's defaults, see layers.ts). */
export type Init =
  | { kind: 'constant'; value: number }
  | { kind: 'normal'; std: number }
  | { kind: 'uniform'; bound: number };

export interface Param {
  name: string;
  variable: tf.Variable;
  /** false for BN running statistics: updated in the forward pass, never by the optimizer */
  trainable: boolean;
}

/** Where layers get their parameters: the store itself or a name-prefixed view of it. */
export interface ParamSource {
  getOrCreate(name: string, shape: number[], init: Init, trainable?: boolean): tf.Variable;
}

export class ParamStore implements ParamSource {
  private readonly params = new Map<string, Param>();

  constructor(private readonly rng: Prng) {}

  /** Returns the variable called `name`, creating it with `init` on first use. */
  getOrCreate(name: string, shape: number[], init: Init, trainable = true): tf.Variable {
    const existing = this.params.get(name);
    if (existing) return existing.variable;
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (init.kind === 'constant') values.fill(init.value);
    else if (init.kind === 'normal') for (let i = 0; i < size; i++) values[i] = init.std * this.rng.normal();
    else for (let i = 0; i < size; i++) values[i] = this.rng.uniform(-init.bound, init.bound);
    const variable = variableFrom(tf.tensor(values, shape), trainable);
    this.params.set(name, { name, variable, trainable });
    return variable;
  }

  /** A view that prefixes every name, so one model's parts ('backbone.', 'predictor.') stay apart.
   * A frozen view creates only non-trainable parameters (target networks, a fixed random predictor). */
  scoped(prefix: string, frozen = false): ParamSource {
    return { getOrCreate: (name, shape, init, trainable) => this.getOrCreate(prefix + name, shape, init, !frozen && trainable !== false) };
  }

  get(name: string): tf.Variable {
    const p = this.params.get(name);
    if (!p) throw new Error(`unknown parameter ${name}`);
    return p.variable;
  }

  /** All parameters in creation order, optionally only those whose name starts with `prefix`. */
  list(prefix = ''): Param[] {
    return [...this.params.values()].filter((p) => p.name.startsWith(prefix));
  }

  dispose(): void {
    for (const p of this.params.values()) p.variable.dispose();
    this.params.clear();
  }
}
