// Image packs: the Packer's bounds and failures on their own, and an archive spread over several
// packs through the real API, PostgreSQL and s3rver, each row reading back its own bytes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { Packer } from '../../src/ingest/packs.ts';
import { readImageBytes } from '../../src/storage/imageBytes.ts';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { image, makeTar } from './fixtures.ts';

const entry = (n: number, bytes = 1) => ({ n, data: Buffer.alloc(bytes, n) });

describe('Packer', () => {
  it('closes a pack at its image or byte bound, keeps order, and writes the rest on finish', async () => {
    const packs: number[][] = [];
    const packer = new Packer({ images: 3, bytes: 10, writers: 2 }, async (entries: Array<{ n: number; data: Buffer }>) => {
      packs.push(entries.map((e) => e.n));
    });
    for (const e of [entry(0), entry(1), entry(2), entry(3, 12), entry(4), entry(5, 6), entry(6, 4), entry(7)]) await packer.add(e);
    await packer.finish(true);
    assert.deepEqual(packs, [[0, 1, 2], [3], [4, 5, 6], [7]]);
  });

  it('holds the producer while every writer is busy and a full pack waits', async () => {
    const gates: Array<() => void> = [];
    let writing = 0;
    let most = 0;
    const packer = new Packer({ images: 1, bytes: 100, writers: 2 }, async () => {
      writing += 1;
      most = Math.max(most, writing);
      await new Promise<void>((resolve) => gates.push(resolve));
      writing -= 1;
    });
    let added = 0;
    const producer = (async () => {
      for (let i = 0; i < 6; i++) {
        await packer.add(entry(i));
        added += 1;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // two packs being written, the third waiting for a writer: its add has not returned
    assert.equal(added, 2);
    while (added < 6 || gates.length) {
      gates.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await producer;
    await packer.finish(true);
    assert.equal(most, 2);
  });

  it('a failed write refuses later adds and is thrown by finish; an unwritten open pack is dropped', async () => {
    const written: number[][] = [];
    const packer = new Packer({ images: 2, bytes: 100, writers: 1 }, async (entries: Array<{ n: number; data: Buffer }>) => {
      if (entries[0]!.n === 0) throw new Error('S3 down');
      written.push(entries.map((e) => e.n));
    });
    await packer.add(entry(0));
    await packer.add(entry(1));
    await assert.rejects(packer.finish(false), /S3 down/);
    await assert.rejects(packer.add(entry(2)), /S3 down/);
    assert.deepEqual(written, []);
  });
});

describe('archive ingest into packs', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => env.close());
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  it('spreads a large archive over several packs; duplicates take no pack bytes; every row reads back its bytes', async () => {
    const pngs = await Promise.all(Array.from({ length: 620 }, (_, i) => image(i, 'png', 4 + (i % 5), 4)));
    const distinct = [...new Map(pngs.map((p) => [sha(p), p])).values()];
    // every distinct image twice: the second copy is a duplicate within the request
    const tar = await makeTar([...pngs, ...pngs].map((data, i) => ({ name: `c${i % 3}/${i}.png`, data })), { gzip: true });
    const id = (await request(env.app.server).post('/v1/datasets').set(env.auth).send({ name: 'packs' }).expect(201)).body.id as string;
    const res = await request(env.app.server).post(`/v1/datasets/${id}/archive`).set(env.auth).set('Content-Type', 'application/gzip').send(tar).expect(201);
    assert.equal(res.body.added, distinct.length);
    assert.equal(res.body.duplicates, 2 * pngs.length - distinct.length);

    const rows = await env.services.db.image.findMany({ where: { datasetId: id } });
    const packs = new Map<string, number>();
    for (const row of rows) {
      assert.ok(row.packOffset !== null);
      assert.equal(sha(await readImageBytes(env.services.blobs, row)), row.sha256);
      packs.set(row.s3Key, (packs.get(row.s3Key) ?? 0) + row.bytes);
    }
    assert.ok(packs.size >= 2, `${packs.size} packs`);
    // a pack holds exactly the bytes of its rows: no duplicate was written into one
    for (const [key, bytes] of packs) assert.equal((await env.services.blobs.head(key))?.size, bytes, key);

    // the same archive again adds nothing and writes no pack
    const before = packs.size;
    const again = await request(env.app.server).post(`/v1/datasets/${id}/archive`).set(env.auth).set('Content-Type', 'application/gzip').send(tar).expect(200);
    assert.deepEqual([again.body.added, again.body.duplicates], [0, 2 * pngs.length]);
    const keys: string[] = [];
    for await (const o of env.services.blobs.list('images/packs/')) keys.push(o.key);
    assert.equal(keys.length, before);
  });

  it('two uploads of one archive at once: each image once, and no pack left without rows', async () => {
    const pngs = await Promise.all(Array.from({ length: 1200 }, (_, i) => image(10_000 + i, 'png', 4 + (i % 5), 4)));
    const tar = await makeTar(pngs.map((data, i) => ({ name: `${i}.png`, data })), { gzip: true });
    const id = (await request(env.app.server).post('/v1/datasets').set(env.auth).send({ name: 'race' }).expect(201)).body.id as string;
    const post = () => request(env.app.server).post(`/v1/datasets/${id}/archive`).set(env.auth).set('Content-Type', 'application/gzip').send(tar);
    const [a, b] = await Promise.all([post(), post()]);
    const distinct = new Set(pngs.map(sha)).size;
    assert.equal(a.body.added + b.body.added, distinct);
    assert.equal(a.body.duplicates + b.body.duplicates, 2 * pngs.length - distinct);
    assert.equal(await env.services.db.image.count({ where: { datasetId: id } }), distinct);
    const referenced = new Set((await env.services.db.image.findMany({ select: { s3Key: true } })).map((r) => r.s3Key));
    for await (const o of env.services.blobs.list('images/packs/')) assert.ok(referenced.has(o.key), `${o.key} has no rows`);
  });

  it('a range past a pack\'s end is a short read, refused rather than taken for the image', async () => {
    const key = 'images/packs/xx/short';
    await env.services.blobs.put(key, Buffer.alloc(10, 1));
    await assert.rejects(readImageBytes(env.services.blobs, { s3Key: key, packOffset: 6, bytes: 8 }), /read 4 bytes, expected 8/);
  });
});
