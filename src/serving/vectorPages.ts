// One JSON page of a set's vectors: up to `limit` rows from a position (what a cursor carries). The
// rows come from the set's RowIndex in memory (read once per set, HotSets.rows), the vectors from
// the scan thread when the set is held there, else from one ranged GET. A set too large for the
// cache is read as before: rows.json from the position, then the vectors.
import type { BlobStore } from '../storage/s3.ts';
import { readEmbeddings, vectorRows, type RowPosition } from './embeddingReader.ts';
import type { HotSetRef, HotSets } from './hotSets.ts';
import type { Row } from './rowsFile.ts';

export interface PageRow extends Row {
  vector: Float32Array;
}

/** A position that is not the start of a row: a cursor this API did not issue. */
export class NotARowStart extends Error {}

/** The rows of the page and the position after its last row (undefined for an empty page). */
export async function vectorPage(blobs: BlobStore, hot: HotSets, set: HotSetRef, from: RowPosition, limit: number): Promise<{ rows: PageRow[]; next?: RowPosition }> {
  const index = await hot.rows(set);
  if (!index) return streamedPage(blobs, set, from, limit);
  if (!index.holds(from)) throw new NotARowStart(`row ${from.row} does not start at ${from.offset}`);
  const end = Math.min(index.count, from.row + limit);
  const n = end - from.row;
  if (n === 0) return { rows: [] };
  const held = hot.held(set.id);
  // let go since it was looked up: storage has the same vectors
  const vectors = held ? await hot.scanner.read(held.key, from.row, n).catch(() => vectorRows(blobs, set, from.row, n)) : await vectorRows(blobs, set, from.row, n);
  const rows = Array.from({ length: n }, (_, i) => ({ ...index.at(from.row + i), vector: vectors.subarray(i * set.dim, (i + 1) * set.dim) }));
  return { rows, next: index.position(end) };
}

async function streamedPage(blobs: BlobStore, set: HotSetRef, from: RowPosition, limit: number): Promise<{ rows: PageRow[]; next?: RowPosition }> {
  const rows: PageRow[] = [];
  let next: RowPosition | undefined;
  try {
    for await (const r of readEmbeddings(blobs, set, from, limit)) {
      rows.push({ imageId: r.imageId, label: r.label, vector: r.vector });
      next = r.next;
    }
  } catch (err) {
    // an offset that lands mid-line in rows.json
    if (err instanceof SyntaxError) throw new NotARowStart(err.message);
    throw err;
  }
  return { rows, next };
}
