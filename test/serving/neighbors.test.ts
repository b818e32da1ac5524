// Cosine neighbours on the scan thread against a brute-force reference, compared exactly (rows and
// similarities to the bit): the wasm kernel alone (row counts that are not multiples of its block,
// ties, a duplicate of the query, a batch of queries), streamed scans and held sets on the thread,
// and the whole path over a stored set in a real s3rver, across several chunks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { startTestS3 } from '../helpers/harness.ts';
import { seededMatrix } from '../helpers/seededMatrix.ts';
import { createBlobStore, type BlobStore } from '../../src/storage/s3.ts';
import { npyHeader } from '../../src/data/npy.ts';
import { rowLine, rowsClosing, rowsOpening } from '../../src/serving/rowsFile.ts';
import { norm, safeNorm, TopK, type Scored } from '../../src/serving/cosineTopK.ts';
import { MAX_BATCH, PackedRows } from '../../src/serving/packedRows.ts';
import { NeighborScanner, type RowChunk } from '../../src/serving/neighborScanner.ts';
import { nearestRows, neighborsOf } from '../../src/serving/neighbors.ts';
import { HotSets } from '../../src/serving/hotSets.ts';

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

  it('the wasm kernel ranks as the reference does, with the query first even behind an exact duplicate', () => {
    const dim = 37;
    const vectors = seededMatrix(103, dim);
    vectors.copyWithin(50 * dim, 9 * dim, 10 * dim); // row 50 duplicates the query, row 9
    vectors.copyWithin(70 * dim, 20 * dim, 21 * dim); // rows 20 and 70 tie wherever they rank
    vectors.fill(0, 80 * dim, 81 * dim); // a zero row scores 0
    const packed = new PackedRows(103, dim);
    packed.set(0, vectors.subarray(0, 60 * dim));
    packed.set(60, vectors.subarray(60 * dim));
    const top = new TopK(103, 9);
    packed.score([{ vector: vectors.slice(9 * dim, 10 * dim), norm: safeNorm(norm(vectors.slice(9 * dim, 10 * dim))), top }], 103);
    assert.deepEqual(top.items, reference(vectors, dim, 9, 103));
    assert.equal(top.items[0].row, 9);
    assert.equal(top.items[1].row, 50);
    assert.deepEqual(packed.rows(0, 103), vectors, 'the interleaved layout gives the rows back');
  });

  it('scores a batch larger than one pass, and rows at an offset, as one query at a time would', () => {
    const dim = 64;
    const vectors = seededMatrix(1000, dim, 5);
    const packed = new PackedRows(1000, dim);
    packed.set(0, vectors);
    const rows = Array.from({ length: MAX_BATCH + 3 }, (_, i) => i * 47);
    const batch = rows.map((row) => ({ vector: packed.rows(row, 1), norm: packed.norm(row), top: new TopK(10, row + 5000) }));
    packed.score(batch, 1000, 5000);
    const shifted = (best: Scored[]) => best.map((b) => ({ row: b.row + 5000, similarity: b.similarity }));
    assert.deepEqual(batch.map((q) => q.top.items), rows.map((row) => shifted(reference(vectors, dim, row, 10))));
  });

  it('the scan thread gives the reference answer over many chunks, several scans at once', async () => {
    const dim = 64;
    const vectors = seededMatrix(5003, dim, 3);
    const scans = [17, 4000, 5002].map((row) =>
      scanner.nearest(vectors.subarray(row * dim, (row + 1) * dim), row, 10, chunked(vectors, dim, 333)),
    );
    const answers = await Promise.all(scans);
    assert.deepEqual(answers, [17, 4000, 5002].map((row) => reference(vectors, dim, row, 10)));
  });

  it('held sets answer queries sent together, each as the reference does, until dropped', async () => {
    const dim = 48;
    const a = seededMatrix(777, dim, 21);
    const b = seededMatrix(300, dim, 22);
    await scanner.hold('a', 777, dim, chunked(a, dim, 100));
    await scanner.hold('b', 300, dim, chunked(b, dim, 300));
    const asked = [...[0, 1, 776, 400].map((row) => ({ set: 'a', row })), ...[299, 3].map((row) => ({ set: 'b', row }))];
    const answers = await Promise.all(asked.map(({ set, row }) => scanner.query(set, row, 7)));
    assert.deepEqual(answers, asked.map(({ set, row }) => reference(set === 'a' ? a : b, dim, row, 7)));
    assert.deepEqual(await scanner.read('a', 5, 3), a.slice(5 * dim, 8 * dim));
    const before = scanner.query('a', 2, 3);
    await scanner.drop('a');
    assert.deepEqual(await before, reference(a, dim, 2, 3), 'a query sent before the drop is answered');
    await assert.rejects(scanner.query('a', 2, 3), /not held/);
    await scanner.drop('b');
  });

  it('a storage error mid-scan fails that scan only', async () => {
    const dim = 8;
    const vectors = seededMatrix(100, dim);
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
    const vectors = seededMatrix(rows, dim, 11);
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

    it('a held set answers what the streamed scan answers; one over the budget is streamed', async () => {
      const streamed = await nearestRows(blobs, scanner, set, 4097, 9);
      const hot = new HotSets(blobs, 64 * 1024 ** 2);
      const tight = new HotSets(blobs, 1024);
      try {
        assert.deepEqual(await neighborsOf(blobs, hot, { ...set, id: 'emb_a' }, 'img_4097', 9), streamed);
        assert.ok(hot.held('emb_a'), 'held after the first query');
        assert.deepEqual(await neighborsOf(blobs, hot, { ...set, id: 'emb_a' }, 'img_4097', 9), streamed);
        assert.equal(await neighborsOf(blobs, hot, { ...set, id: 'emb_a' }, 'img_none', 9), undefined);
        assert.deepEqual(await neighborsOf(blobs, tight, { ...set, id: 'emb_a' }, 'img_4097', 9), streamed);
        assert.deepEqual(tight.stats(), { bytes: 0, sets: {} });
      } finally {
        await hot.close();
        await tight.close();
      }
    });
  });
});
