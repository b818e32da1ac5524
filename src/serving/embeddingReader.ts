// Reads a stored embedding set (vectors.npy + rows.json) by row ranges with S3 ranged GETs, so the
// API never holds more than a chunk of rows whatever N is. The .npy header is the one the worker
// wrote (src/data/npy.ts), so row i starts at header + i * dim * 4 bytes.
import type { Readable } from 'node:stream';
import type { BlobStore } from '../storage/s3.ts';
import { npyHeader } from '../data/npy.ts';
import { FIRST_ROW_OFFSET, readRows, type Row } from './rowsFile.ts';

export interface StoredSet {
  vectorsKey: string;
  rowsKey: string;
  count: number;
  dim: number;
}

/** Where reading resumes: a row and the byte offset of its line in rows.json. */
export interface RowPosition {
  row: number;
  offset: number;
}

export const START: RowPosition = { row: 0, offset: FIRST_ROW_OFFSET };

export interface EmbeddingRow extends Row {
  row: number;
  vector: Float32Array;
  /** the position after this row */
  next: RowPosition;
}

const ROW_CHUNK = 512;

const dataOffset = (set: StoredSet) => npyHeader([set.count, set.dim]).length;

async function readFully(stream: Readable, bytes: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(bytes);
  let filled = 0;
  for await (const chunk of stream) {
    (chunk as Buffer).copy(out, filled);
    filled += (chunk as Buffer).length;
  }
  if (filled !== bytes) throw new Error(`expected ${bytes} bytes, got ${filled}`);
  return out;
}

/** Vectors of rows [start, start + n), [n, dim] row-major. */
export async function vectorRows(blobs: BlobStore, set: StoredSet, start: number, n: number): Promise<Float32Array> {
  const rowBytes = set.dim * 4;
  const first = dataOffset(set) + start * rowBytes;
  const bytes = await readFully(await blobs.getRange(set.vectorsKey, first, first + n * rowBytes - 1), n * rowBytes);
  return new Float32Array(bytes.buffer, bytes.byteOffset, n * set.dim);
}

/** Rows with their vectors from `from`, at most `limit` of them, read a chunk at a time. */
export async function* readEmbeddings(blobs: BlobStore, set: StoredSet, from: RowPosition, limit = Infinity): AsyncGenerator<EmbeddingRow> {
  if (from.row >= set.count || limit <= 0) return;
  const rows = readRows(await blobs.getRange(set.rowsKey, from.offset), from.row, from.offset);
  let pending: Array<Row & { row: number; nextOffset: number }> = [];
  let emitted = 0;
  const flush = async function* () {
    const vectors = await vectorRows(blobs, set, pending[0].row, pending.length);
    for (const [k, r] of pending.entries()) {
      yield { imageId: r.imageId, label: r.label, row: r.row, vector: vectors.subarray(k * set.dim, (k + 1) * set.dim), next: { row: r.row + 1, offset: r.nextOffset } };
    }
    emitted += pending.length;
    pending = [];
  };
  for await (const r of rows) {
    pending.push(r);
    if (pending.length === Math.min(ROW_CHUNK, limit - emitted)) yield* flush();
    if (emitted >= limit) return;
  }
  if (pending.length) yield* flush();
}

/** Every vector in row order, in chunks of whole rows (one ranged GET per chunk: flat memory). */
export async function* allVectors(blobs: BlobStore, set: StoredSet, chunkRows = 4096): AsyncGenerator<{ start: number; vectors: Float32Array }> {
  for (let start = 0; start < set.count; start += chunkRows) {
    const n = Math.min(chunkRows, set.count - start);
    yield { start, vectors: await vectorRows(blobs, set, start, n) };
  }
}

/** The row of `imageId` (a scan of rows.json), or undefined. */
export async function findRow(blobs: BlobStore, set: StoredSet, imageId: string): Promise<number | undefined> {
  for await (const r of readRows(await blobs.getRange(set.rowsKey, START.offset), START.row, START.offset)) {
    if (r.imageId === imageId) return r.row;
  }
  return undefined;
}

/** Image id and label of each wanted row (one scan of rows.json, stopping at the last wanted). */
export async function rowsAt(blobs: BlobStore, set: StoredSet, wanted: number[]): Promise<Map<number, Row>> {
  const want = new Set(wanted);
  const found = new Map<number, Row>();
  const last = Math.max(...wanted);
  for await (const r of readRows(await blobs.getRange(set.rowsKey, START.offset), START.row, START.offset)) {
    if (want.has(r.row)) found.set(r.row, { imageId: r.imageId, label: r.label });
    if (r.row >= last) break;
  }
  return found;
}
