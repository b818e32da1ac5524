// An embedding matrix in the dot kernel's layout (./dotKernel.ts), in a wasm memory of its own so an
// evicted set is freed whole: the rows interleaved in blocks of eight, each row's clamped norm
// (computed once, when the row is stored), room for a batch of queries and for one tile of their
// dot products. A tile of rows is small enough to stay in cache while every query of the batch
// sweeps it, so a batch reads the matrix from memory once.
import { BLOCK_ROWS, dotsOn, type DotsFunction } from './dotKernel.ts';
import { safeNorm, type TopK } from './cosineTopK.ts';

/** Queries scored in one pass over the rows. */
export const MAX_BATCH = 16;
const TILE_BYTES = 128 * 1024;
const PAGE_BYTES = 65_536;
const MAX_PAGES = 65_536; // wasm32: 4 GiB

export interface RowQuery {
  vector: Float32Array;
  /** the query's norm, clamped (safeNorm) */
  norm: number;
  top: TopK;
}

function layout(capacity: number, dim: number) {
  const blocks = Math.ceil(capacity / BLOCK_ROWS);
  const tileBlocks = Math.max(1, Math.min(blocks, Math.floor(TILE_BYTES / (dim * 4 * BLOCK_ROWS))));
  const rowsBytes = blocks * dim * 4 * BLOCK_ROWS;
  const normsAt = rowsBytes;
  const queriesAt = normsAt + blocks * BLOCK_ROWS * 8;
  const outAt = queriesAt + MAX_BATCH * dim * 8;
  const end = outAt + MAX_BATCH * tileBlocks * BLOCK_ROWS * 8;
  return { tileBlocks, normsAt, queriesAt, outAt, pages: Math.ceil(end / PAGE_BYTES) };
}

export class PackedRows {
  /** what this matrix holds in memory, in bytes */
  readonly bytes: number;
  private readonly dots: DotsFunction;
  private readonly packed: Float32Array;
  private readonly norms: Float64Array;
  private readonly queries: Float64Array;
  private readonly out: Float64Array;
  private readonly tileRows: number;
  private readonly at: { queries: number; out: number };

  /** The bytes a matrix of `capacity` rows would hold, or Infinity past wasm32's 4 GiB. */
  static bytesFor(capacity: number, dim: number): number {
    const { pages } = layout(capacity, dim);
    return pages > MAX_PAGES ? Infinity : pages * PAGE_BYTES;
  }

  constructor(
    readonly capacity: number,
    readonly dim: number,
  ) {
    const { tileBlocks, normsAt, queriesAt, outAt, pages } = layout(capacity, dim);
    if (pages > MAX_PAGES) throw new RangeError(`${capacity} × ${dim} rows do not fit a wasm32 memory`);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    this.bytes = pages * PAGE_BYTES;
    this.dots = dotsOn(memory);
    const blocks = Math.ceil(capacity / BLOCK_ROWS);
    this.packed = new Float32Array(memory.buffer, 0, blocks * dim * BLOCK_ROWS);
    this.norms = new Float64Array(memory.buffer, normsAt, blocks * BLOCK_ROWS);
    this.queries = new Float64Array(memory.buffer, queriesAt, MAX_BATCH * dim);
    this.out = new Float64Array(memory.buffer, outAt, MAX_BATCH * tileBlocks * BLOCK_ROWS);
    this.tileRows = tileBlocks * BLOCK_ROWS;
    this.at = { queries: queriesAt, out: outAt };
  }

  /** Stores rows [start, start + n) from `vectors` ([n, dim] row-major) with their norms. */
  set(start: number, vectors: Float32Array): void {
    const { dim, packed, norms } = this;
    const n = vectors.length / dim;
    if (start + n > this.capacity) throw new RangeError(`rows ${start}..${start + n} past ${this.capacity}`);
    for (let i = 0; i < n; i++) {
      const r = start + i;
      const base = (r >> 3) * dim * BLOCK_ROWS + (r & 7);
      const from = i * dim;
      let s = 0;
      for (let j = 0; j < dim; j++) {
        const v = vectors[from + j];
        packed[base + j * BLOCK_ROWS] = v;
        s += v * v;
      }
      norms[r] = safeNorm(Math.sqrt(s));
    }
  }

  /** Rows [start, start + n) back in row-major order. */
  rows(start: number, n: number): Float32Array {
    const { dim, packed } = this;
    const out = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      const r = start + i;
      const base = (r >> 3) * dim * BLOCK_ROWS + (r & 7);
      for (let j = 0; j < dim; j++) out[i * dim + j] = packed[base + j * BLOCK_ROWS];
    }
    return out;
  }

  /** Row r's clamped norm. */
  norm(r: number): number {
    return this.norms[r];
  }

  /**
   * Offers rows [0, n) to each query's top-k as rows `rowOffset`... with their cosine similarity:
   * the float64 dot divided by the product of the clamped norms.
   */
  score(queries: RowQuery[], n: number, rowOffset = 0): void {
    for (let i = 0; i < queries.length; i += MAX_BATCH) this.scoreBatch(queries.slice(i, i + MAX_BATCH), n, rowOffset);
  }

  private scoreBatch(batch: RowQuery[], n: number, rowOffset: number): void {
    const { dim, norms, out, tileRows } = this;
    batch.forEach((q, i) => this.queries.set(q.vector, i * dim));
    const rowBytes = dim * 4;
    for (let first = 0; first < n; first += tileRows) {
      const last = Math.min(n, first + tileRows);
      this.dots(first * rowBytes, Math.ceil((last - first) / BLOCK_ROWS), dim, this.at.queries, batch.length, this.at.out, tileRows * 8);
      for (let i = 0; i < batch.length; i++) {
        const { norm, top } = batch[i];
        const base = i * tileRows - first;
        for (let r = first; r < last; r++) top.offer(rowOffset + r, out[base + r] / (norms[r] * norm));
      }
    }
  }
}
