// Seeded subsets of a split's image indices: the same (count, seed) always names the same images,
// so cached archives can be named by them.
import { Prng } from '../../src/engine/prng.ts';

/** A seeded permutation of 0..n-1: its head and the next slice are disjoint, class-balanced subsets. */
export function seededPermutation(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = new Prng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** The first `count` of seededPermutation (all of 0..n-1, in order, when count covers them). */
export const seededSample = (n: number, count: number, seed: number): number[] =>
  count >= n ? Array.from({ length: n }, (_, i) => i) : seededPermutation(n, seed).slice(0, count);
