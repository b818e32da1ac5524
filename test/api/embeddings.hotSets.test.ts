// The hot-set cache behind neighbour queries and JSON vector pages, on the real stack (PostgreSQL,
// s3rver, HTTP): a held set answers from memory (its objects deleted from storage behind its back),
// exactly what the streamed scan answers; a new set evicts the least recently used one to stay under
// EMBEDDING_CACHE_BYTES; deleting a set (by its route, or by its job's cascade) frees it; a set too
// large for the budget is streamed and never held.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { waitFor } from '../helpers/waitFor.ts';
import { seededMatrix } from '../helpers/seededMatrix.ts';
import { seedEmbeddingSet } from '../../bench/syntheticEmbeddingSet.ts';
import { keys } from '../../src/storage/keys.ts';
import { PackedRows } from '../../src/serving/packedRows.ts';
import { NeighborScanner } from '../../src/serving/neighborScanner.ts';
import { nearestRows } from '../../src/serving/neighbors.ts';

const DIM = 64;
const ROWS = 500;
// one set (vectors and rows) fits, two do not
const BUDGET = 2 * PackedRows.bytesFor(ROWS, DIM) - 1;

describe('hot embedding sets', () => {
  let env: TestEnv;
  const scanner = new NeighborScanner();
  const api = () => request(env.app.server);
  const seed = async (rows: number, seedValue: number) => {
    const { setId } = await seedEmbeddingSet(env.services, env.tenantId, {
      rows,
      dim: DIM,
      vectors: [seededMatrix(rows, DIM, seedValue)],
      row: (i) => ({ imageId: `img_${i}`, label: i % 3 ? `class-${i % 3}` : null }),
    });
    return { id: setId, count: rows, dim: DIM, vectorsKey: keys.embeddingVectors(setId), rowsKey: keys.embeddingRows(setId) };
  };
  /** What the streamed scan (no cache) answers, in the route's shape. */
  const streamed = async (set: Awaited<ReturnType<typeof seed>>, row: number, k: number) =>
    (await nearestRows(env.services.blobs, scanner, set, row, k)).map(({ imageId, label, similarity }) => ({ imageId, label, similarity }));
  const neighbors = (setId: string, imageId: string, k = 8) => api().get(`/v1/embeddings/${setId}/neighbors`).query({ imageId, k }).set(env.auth);
  const page = (setId: string, cursor?: string) => api().get(`/v1/embeddings/${setId}/vectors`).query({ format: 'json', limit: 40, ...(cursor && { cursor }) }).set(env.auth);
  const stats = () => env.services.hotSets.stats();

  before(async () => {
    env = await createTestEnv({ EMBEDDING_CACHE_BYTES: String(BUDGET) });
  });
  after(async () => {
    await scanner.close();
    await env?.close();
  });

  let a: Awaited<ReturnType<typeof seed>>;

  it('holds a set after its first query and answers from memory, as the streamed scan does', async () => {
    a = await seed(ROWS, 1);
    const expected = await streamed(a, 123, 8);
    const firstPage = (await page(a.id).expect(200)).body;
    const secondPage = (await page(a.id, firstPage.nextCursor).expect(200)).body;
    assert.deepEqual((await neighbors(a.id, 'img_123').expect(200)).body.items, expected);
    assert.deepEqual(stats().sets[a.id]?.vectors, true);

    await env.services.blobs.deletePrefix(keys.embeddingPrefix(a.id));
    assert.deepEqual((await neighbors(a.id, 'img_123').expect(200)).body.items, expected, 'a hit reads no storage');
    assert.deepEqual((await page(a.id).expect(200)).body, firstPage);
    assert.deepEqual((await page(a.id, firstPage.nextCursor).expect(200)).body, secondPage);
    assert.equal((await neighbors(a.id, 'img_nope').expect(404)).body.error.code, 'IMAGE_NOT_IN_SET');
    const forged = Buffer.from(JSON.stringify([1, 5])).toString('base64url');
    assert.equal((await page(a.id, forged).expect(400)).body.error.code, 'INVALID_CURSOR');
  });

  it('evicts the least recently used set when a new one needs its bytes', async () => {
    const b = await seed(ROWS, 2);
    assert.deepEqual((await neighbors(b.id, 'img_7').expect(200)).body.items, await streamed(b, 7, 8));
    assert.deepEqual(Object.keys(stats().sets), [b.id]);
    assert.ok(stats().bytes > PackedRows.bytesFor(ROWS, DIM) && stats().bytes <= BUDGET, `${stats().bytes} bytes held`);
  });

  it('frees a set when it is deleted, by its route or by its job', async () => {
    const [b] = Object.keys(stats().sets);
    await api().delete(`/v1/embeddings/${b}`).set(env.auth).expect(204);
    await waitFor('the deleted set to be let go', async () => (stats().sets[b] ? undefined : true), 5_000, 20);
    assert.deepEqual(stats(), { bytes: 0, sets: {} });

    const c = await seed(ROWS, 3);
    await neighbors(c.id, 'img_0').expect(200);
    assert.ok(stats().sets[c.id]);
    await env.services.pool.query('DELETE FROM jobs WHERE id = (SELECT job_id FROM embedding_sets WHERE id = $1)', [c.id]);
    await waitFor('the cascade-deleted set to be let go', async () => (stats().sets[c.id] ? undefined : true), 5_000, 20);
    assert.deepEqual(stats(), { bytes: 0, sets: {} });
  });

  it('streams a set too large for the budget and never holds it', async () => {
    const big = await seed(4 * ROWS, 4);
    assert.ok(PackedRows.bytesFor(big.count, DIM) > BUDGET);
    assert.deepEqual((await neighbors(big.id, 'img_1400').expect(200)).body.items, await streamed(big, 1400, 8));
    const first = (await page(big.id).expect(200)).body;
    assert.equal(first.items.length, 40);
    assert.deepEqual((await page(big.id, first.nextCursor).expect(200)).body.items[0].imageId, 'img_40');
    assert.deepEqual(stats(), { bytes: 0, sets: {} });
  });
});
