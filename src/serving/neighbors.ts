// Cosine nearest neighbours of one image of an embedding set. A set that fits the hot-set budget is
// loaded once and queried in memory (HotSets); a larger one is scanned by one streaming pass over
// its vectors (O(N·D) per query, memory O(k + two chunks)). The scoring runs on the scanner's
// thread either way; this side only reads storage. Both give the same answer, to the bit.
import type { BlobStore } from '../storage/s3.ts';
import { allVectors, findRow, rowsAt, vectorRows, type StoredSet } from './embeddingReader.ts';
import type { HotSetRef, HotSets } from './hotSets.ts';
import type { NeighborScanner } from './neighborScanner.ts';
import type { Row } from './rowsFile.ts';

export interface Neighbor extends Row {
  row: number;
  similarity: number;
}

/** The `k` rows most cosine-similar to row `query`, the query row first, then most similar first (streamed). */
export async function nearestRows(blobs: BlobStore, scanner: NeighborScanner, set: StoredSet, query: number, k: number): Promise<Neighbor[]> {
  const q = await vectorRows(blobs, set, query, 1);
  const best = await scanner.nearest(q, query, k, allVectors(blobs, set));
  const rows = await rowsAt(blobs, set, best.map((b) => b.row));
  return best.map((b) => ({ ...rows.get(b.row)!, row: b.row, similarity: b.similarity }));
}

/** The `k` neighbours of image `imageId` as nearestRows ranks them; undefined when the image is not in the set. */
export async function neighborsOf(blobs: BlobStore, hot: HotSets, set: HotSetRef, imageId: string, k: number): Promise<Neighbor[] | undefined> {
  const held = await hot.acquire(set);
  if (!held) {
    const row = await findRow(blobs, set, imageId);
    return row === undefined ? undefined : nearestRows(blobs, hot.scanner, set, row, k);
  }
  const row = held.rows.rowOfImage(imageId);
  if (row === undefined) return undefined;
  let best;
  try {
    best = await hot.scanner.query(held.key, row, k);
  } catch (err) {
    // let go in the meantime (evicted for a newer set, or its thread died): stream it this once
    if (hot.held(set.id) === held) throw err;
    return nearestRows(blobs, hot.scanner, set, row, k);
  }
  return best.map((b) => ({ ...held.rows.at(b.row), row: b.row, similarity: b.similarity }));
}
