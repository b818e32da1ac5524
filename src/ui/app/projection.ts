// 2-D maps of embedding vectors: PCA (ml-pca) for any size, UMAP (umap-js) for sets small enough
// to lay out in the browser in seconds. UMAP is seeded, so the same set draws the same map.
import { PCA } from 'ml-pca';
import { UMAP } from 'umap-js';

/** Sets up to this many vectors get a UMAP layout; larger ones are shown with PCA only. */
export const UMAP_MAX_POINTS = 2000;

export type Points2D = Array<[number, number]>;

export function pca2(vectors: number[][]): Points2D {
  if (vectors.length < 2) return vectors.map(() => [0, 0]);
  const projected = new PCA(vectors, { center: true }).predict(vectors, { nComponents: 2 }).to2DArray();
  return projected.map((row) => [row[0] ?? 0, row[1] ?? 0]);
}

/** mulberry32: a small seeded generator for umap-js's `random` */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function umap2(vectors: number[][], onEpoch?: (epoch: number, total: number) => void): Promise<Points2D> {
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.max(2, Math.min(15, vectors.length - 1)), minDist: 0.1, random: seeded(0) });
  const total = umap.initializeFit(vectors);
  for (let epoch = 0; epoch < total; epoch++) {
    umap.step();
    // yield to the page now and then so it stays responsive while UMAP runs
    if (epoch % 10 === 0) {
      onEpoch?.(epoch, total);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  return umap.getEmbedding().map((row) => [row[0], row[1]]);
}
