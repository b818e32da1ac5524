// Cosine nearest neighbours of one row of an embedding set, by one streaming pass over the vectors
// (no index: O(N·D) per query, memory O(k + two chunks)). The scoring runs on the scanner's thread;
// this side only reads storage.
import type { BlobStore } from '../storage/s3.ts';
import { allVectors, rowsAt, vectorRows, type StoredSet } from './embeddingReader.ts';
import type { NeighborScanner } from './neighborScanner.ts';
import type { Row } from './rowsFile.ts';

export interface Neighbor extends Row {
  row: number;
  similarity: number;
}

/** The `k` rows most cosine-similar to row `query`, the query row first, then most similar first. */
export async function nearestRows(blobs: BlobStore, scanner: NeighborScanner, set: StoredSet, query: number, k: number): Promise<Neighbor[]> {
  const q = await vectorRows(blobs, set, query, 1);
  const best = await scanner.nearest(q, query, k, allVectors(blobs, set));
  const rows = await rowsAt(blobs, set, best.map((b) => b.row));
  return best.map((b) => ({ ...rows.get(b.row)!, row: b.row, similarity: b.similarity }));
}
