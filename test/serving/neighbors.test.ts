// Cosine neighbours on the scan thread against a brute-force reference: the blocked kernel alone
// (row counts that are not multiples of four, ties, a duplicate of the query), and the whole path
// over a stored set in a real s3rver, across several chunks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { startTestS3 } from '../helpers/harness.ts';
import { createBlobStore, type BlobStore } from '../../src/storage/s3.ts';
import { npyHeader } from '../../src/data/npy.ts';
import { rowLine, rowsClosing, rowsOpening } from '../../src/serving/rowsFile.ts';
import { norm, scoreRows, TopK, type Scored } from '../../src/serving/cosineTopK.ts';
import { NeighborScanner, type RowChunk } from '../../src/serving/neighborScanner.ts';
import { nearestRows } from '../../src/serving/neighbors.ts';

function matrix(rows: number, dim: number, seed = 7): Float32Array {
  const out = new Float32Array(rows * dim);
  let s = seed;
  for (let i = 0; i < out.length; i++) out[i] = ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return out;
}

/** Row by row, the textbook way. */
function reference(vectors: Float32Array, dim: number, queryRow: number, k: number): Scored[] {
  const q = vectors.subarray(queryRow * dim, (queryRow + 1) * dim);
  const scored: Scored[] = [];
  for (let r = 0; r * dim < vectors.length; r++) {
    const v = vectors.subarray(r * dim, (r + 1) * dim);
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += v[j] * q[j];
    scored.push({ row: r, similarity: dot / (Math.max(norm(v), 1e-12) * Math.max(norm(q), 1e-12)) });
  }
  scored.sort((a, b) => (a.row === queryRow ? -1 : b.row === queryRow ? 1 : b.similarity - a.similarity || a.row - b.row));
  return scored.slice(0, k);
}

async function* chunked(vectors: Float32Array, dim: number, rowsPerChunk: number): AsyncGenerator<RowChunk> {
  for (let start = 0; start * dim < vectors.length; start += rowsPerChunk) {
    yield { start, vectors: vectors.slice(start * dim, Math.min(vectors.length, (start + rowsPerChunk) * dim)) };
  }
}

describe('cosine neighbours', () => {
  const scanner = new NeighborScanner();
  after(() => scanner.close());

  it('the blocked kernel ranks as the reference does, with the query first even behind an exact duplicate', () => {
    const dim = 37;
    const vectors = matrix(103, dim);
    vectors.copyWithin(50 * dim, 9 * dim, 10 * dim); // row 50 duplicates the query, row 9
    const top = new TopK(12, 9);
    scoreRows(vectors.slice(9 * dim, 10 * dim), norm(vectors.slice(9 * dim, 10 * dim)), vectors, 0, top);
    assert.deepEqual(top.items, reference(vectors, dim, 9, 12));
    assert.equal(top.items[0].row, 9);
    assert.equal(top.items[1].row, 50);
  });

  it('the scan thread gives the reference answer over many chunks, several scans at once', async () => {
    const dim = 64;
    const vectors = matrix(5003, dim, 3);
    const scans = [17, 4000, 5002].map((row) =>
      scanner.nearest(vectors.subarray(row * dim, (row + 1) * dim), row, 10, chunked(vectors, dim, 333)),
    );
    const answers = await Promise.all(scans);
    assert.deepEqual(answers, [17, 4000, 5002].map((row) => reference(vectors, dim, row, 10)));
  });

  it('a storage error mid-scan fails that scan only', async () => {
    const dim = 8;
    const vectors = matrix(100, dim);
    async function* broken(): AsyncGenerator<RowChunk> {
      yield { start: 0, vectors: vectors.slice(0, 10 * dim) };
      throw new Error('storage went away');
    }
    await assert.rejects(scanner.nearest(vectors.subarray(0, dim), 0, 3, broken()), /storage went away/);
    assert.deepEqual(await scanner.nearest(vectors.subarray(0, dim), 0, 3, chunked(vectors, dim, 7)), reference(vectors, dim, 0, 3));
  });

  describe('over a stored set', () => {
    let s3: Awaited<ReturnType<typeof startTestS3>>;
    let blobs: BlobStore;
    const rows = 9000; // three chunks of the reader's 4096 rows
    const dim = 24;
    const vectors = matrix(rows, dim, 11);
    const set = { vectorsKey: 'emb/v.npy', rowsKey: 'emb/rows.json', count: rows, dim };
    before(async () => {
      s3 = await startTestS3();
      blobs = createBlobStore(s3.s3);
      await blobs.ensureBucket();
      await blobs.put(set.vectorsKey, Buffer.concat([npyHeader([rows, dim]), Buffer.from(vectors.buffer)]));
      await blobs.putStream(set.rowsKey, Readable.from((function* () {
        yield rowsOpening;
        for (let i = 0; i < rows; i++) yield rowLine({ imageId: `img_${i}`, label: i % 2 ? 'odd' : null }, i);
        yield rowsClosing;
      })()));
    });
    after(async () => s3?.stop());

    it('nearestRows answers the reference rows with their ids and labels', async () => {
      const found = await nearestRows(blobs, scanner, set, 8191, 5);
      const expected = reference(vectors, dim, 8191, 5);
      assert.deepEqual(found, expected.map((e) => ({ imageId: `img_${e.row}`, label: e.row % 2 ? 'odd' : null, row: e.row, similarity: e.similarity })));
    });
  });
});
