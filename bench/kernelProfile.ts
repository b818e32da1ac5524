// Summaries of a tf.profile() of a training step: kernel time per kernel name, and the share of it
// spent in a transformer's attention. tf.profile has no scopes, so attention kernels are told by
// their shapes: a tensor ending in [tokens, tokens], [tokens, headDim] or [headDim, tokens] (scores,
// per-head q/k/v and their gradients), per-head layouts (rank >= 4 ending in headDim), and the
// softmax kernels. Nested kernels (a tf.customGrad forward's) appear in their own rows.
import type * as tf from '@tensorflow/tfjs';
import { FusedKernel } from '../src/engine/kernels/fused.ts';

type ProfiledKernel = Awaited<ReturnType<typeof tf.profile>>['kernels'][number];

const ms = (k: ProfiledKernel) => k.kernelTimeMs as number;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

export function kernelsByTime(kernels: ProfiledKernel[], top: number): Array<{ name: string; ms: number; calls: number }> {
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of kernels) {
    const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += ms(k);
    entry.calls++;
    byName.set(k.name, entry);
  }
  return [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, top).map(([name, e]) => ({ name, ms: round(e.ms), calls: e.calls }));
}

export interface AttentionGeometry {
  tokens: number;
  headDim: number;
}

function isAttention(k: ProfiledKernel, { tokens, headDim }: AttentionGeometry): boolean {
  if (k.name === 'Softmax' || k.name === FusedKernel.softmaxGrad) return true;
  const lastTwo = new Set([`${tokens},${tokens}`, `${tokens},${headDim}`, `${headDim},${tokens}`]);
  return [...k.inputShapes, ...k.outputShapes].some(
    (shape) => shape && shape.length >= 3 && (lastTwo.has(shape.slice(-2).join()) || (shape.length >= 4 && shape[shape.length - 1] === headDim)),
  );
}

/** Total kernel ms, the attention kernels' ms and their share of the total. */
export function attentionShare(kernels: ProfiledKernel[], geometry: AttentionGeometry): { kernelMs: number; attentionMs: number; attentionShare: number } {
  const total = kernels.reduce((sum, k) => sum + ms(k), 0);
  const attention = kernels.filter((k) => isAttention(k, geometry)).reduce((sum, k) => sum + ms(k), 0);
  return { kernelMs: round(total), attentionMs: round(attention), attentionShare: round(attention / total, 3) };
}
