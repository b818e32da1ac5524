// Seeded shuffles: the probe's epoch order and the train/test split of a single labeled dataset are
// pure functions of the evaluation's seed, so a re-run reproduces them.
import { Prng } from '../engine/index.ts';

/** Fisher-Yates over `items` with draws from `rng`. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(items: T, rng: Prng): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** A random `fraction` of 0..count-1 for training, the rest for testing, each in ascending order. */
export function splitIndices(count: number, fraction: number, seed: number): { train: number[]; test: number[] } {
  const order = shuffleInPlace(Array.from({ length: count }, (_, i) => i), new Prng(seed));
  const cut = Math.round(count * fraction);
  const asc = (a: number, b: number) => a - b;
  return { train: order.slice(0, cut).sort(asc), test: order.slice(cut).sort(asc) };
}

/** A seeded choice of `take` of 0..count-1 in ascending order (all of them when take >= count). */
export function subsetIndices(count: number, take: number, seed: number): number[] {
  return take >= count ? Array.from({ length: count }, (_, i) => i) : splitIndices(count, take / count, seed).train;
}
