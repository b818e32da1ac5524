import { Prng } from '../../src/engine/index.ts';

/** The shuffled image order of one epoch: a pure function of (seed, epoch), so a resumed run replays it. */
export function epochOrder(count: number, seed: number, epoch: number): number[] {
  const rng = new Prng((Math.imul(seed, 0x9e3779b1) ^ (epoch + 1)) >>> 0);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
