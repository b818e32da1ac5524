// Cosine nearest neighbours of one row of an embedding set, by one streaming pass over the vectors
// (no index: O(N·D) per query, memory O(k + one chunk)).
import type { BlobStore } from '../storage/s3.ts';
import { allVectors, rowsAt, vectorRows, type StoredSet } from './embeddingReader.ts';
import type { Row } from './rowsFile.ts';

export interface Neighbor extends Row {
  row: number;
  similarity: number;
}

function norm(v: Float32Array, offset: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += v[offset + j] * v[offset + j];
  return Math.sqrt(s);
}

/** The `k` rows most cosine-similar to row `query`, the query row first, then most similar first. */
export async function nearestRows(blobs: BlobStore, set: StoredSet, query: number, k: number): Promise<Neighbor[]> {
  const { dim } = set;
  const q = await vectorRows(blobs, set, query, 1);
  const qNorm = Math.max(norm(q, 0, dim), 1e-12);
  // kept sorted best first; k is small, so insertion beats a heap
  const best: Array<{ row: number; similarity: number }> = [];
  // the query ranks first by definition: rounding must not let a duplicate image overtake it
  const better = (a: { row: number; similarity: number }, b: { row: number; similarity: number }) =>
    a.row === query || (b.row !== query && (a.similarity > b.similarity || (a.similarity === b.similarity && a.row < b.row)));
  for await (const { start, vectors } of allVectors(blobs, set)) {
    for (let r = 0; r * dim < vectors.length; r++) {
      let dot = 0;
      const base = r * dim;
      for (let j = 0; j < dim; j++) dot += vectors[base + j] * q[j];
      const candidate = { row: start + r, similarity: dot / (Math.max(norm(vectors, base, dim), 1e-12) * qNorm) };
      if (best.length === k && !better(candidate, best[k - 1])) continue;
      let at = best.length;
      while (at > 0 && better(candidate, best[at - 1])) at--;
      best.splice(at, 0, candidate);
      if (best.length > k) best.pop();
    }
  }
  const rows = await rowsAt(blobs, set, best.map((b) => b.row));
  return best.map((b) => ({ ...rows.get(b.row)!, row: b.row, similarity: b.similarity }));
}
