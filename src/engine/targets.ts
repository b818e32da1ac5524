// Target-network helpers shared by the methods: frozen copies of online parameters (snapshots, EMA
// and momentum encoders) and their updates. Copies live in the same ParamStore under their own
// prefix, so checkpoints carry them like any other parameter.
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from './params.ts';

function pairs(store: ParamStore, from: string, to: string): Array<[tf.Variable, tf.Variable]> {
  const sources = store.list(from);
  const targets = store.list(to);
  if (sources.length !== targets.length) throw new Error(`${to} has ${targets.length} parameters, ${from} ${sources.length}`);
  return sources.map((s, i) => {
    if (targets[i].name !== to + s.name.slice(from.length)) throw new Error(`${targets[i].name} does not mirror ${s.name}`);
    return [s.variable, targets[i].variable];
  });
}

/** target <- online, every parameter and BN statistic under `from` copied to the mirror under `to`. */
export function copyParams(store: ParamStore, from: string, to: string): void {
  for (const [s, t] of pairs(store, from, to)) t.assign(s);
}

/** target <- tau * target + (1 - tau) * online (BYOL's EMA, MoCo's momentum update). */
export function emaUpdate(store: ParamStore, from: string, to: string, tau: number): void {
  tf.tidy(() => {
    for (const [s, t] of pairs(store, from, to)) t.assign(tf.add(tf.mul(t, tau), tf.mul(s, 1 - tau)));
  });
}
