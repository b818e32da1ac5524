// Target-network helpers shared by the methods: frozen copies of online parameters (snapshots, EMA
// and momentum encoders) and their updates. Copies live in the same ParamStore under their own
// prefix, so checkpoints carry them like any other parameter.
import * as tf from '@tensorflow/tfjs';
import type { Param, ParamStore } from './params.ts';

function pairs(store: ParamStore, from: string, to: string): Array<[Param, tf.Variable]> {
  const sources = store.list(from);
  const targets = store.list(to);
  if (sources.length !== targets.length) throw new Error(`${to} has ${targets.length} parameters, ${from} ${sources.length}`);
  return sources.map((s, i) => {
    if (targets[i].name !== to + s.name.slice(from.length)) throw new Error(`${targets[i].name} does not mirror ${s.name}`);
    return [s, targets[i].variable];
  });
}

/** target <- online, every parameter and BN statistic under `from` copied to the mirror under `to`. */
export function copyParams(store: ParamStore, from: string, to: string): void {
  for (const [s, t] of pairs(store, from, to)) t.assign(s.variable);
}

/** target <- tau * target + (1 - tau) * online (BYOL's EMA, MoCo's momentum update), over every
 * parameter and BN statistic, or over the `trainable` parameters only (a target that keeps its own
 * BN statistics from its forward passes, as MoCo v3's momentum encoder). */
export function emaUpdate(store: ParamStore, from: string, to: string, tau: number, which: 'all' | 'trainable' = 'all'): void {
  tf.tidy(() => {
    for (const [s, t] of pairs(store, from, to)) {
      if (which === 'all' || s.trainable) t.assign(tf.add(tf.mul(t, tau), tf.mul(s.variable, 1 - tau)));
    }
  });
}

/** An EMA rate rising from `base` at step 0 to 1 at the run's end on a half cosine (BYOL sec. 3.2;
 * MoCo v3's --moco-m-cos): 1 - (1 - base)(cos(pi k / K) + 1) / 2. */
export function cosineMomentum(base: number, step: number, totalSteps: number): number {
  return 1 - ((1 - base) * (Math.cos((Math.PI * step) / totalSteps) + 1)) / 2;
}
