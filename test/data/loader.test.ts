// Warming the decoded-image cache reads each image pack with one GET (not one per image), against a
// real S3-protocol server; the batches after it read nothing more and hold what per-image loading
// would have decoded. The probes' and embeddings' passes over a dataset warm it too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { startTestS3 } from '../helpers/harness.ts';
import { patternPng } from '../helpers/images.ts';
import { createBlobStore, type BlobStore } from '../../src/storage/s3.ts';
import { DecodedImageCache } from '../../src/data/cache.ts';
import { ImageLoader, type ImageRef } from '../../src/data/loader.ts';
import type { DecodeSpec } from '../../src/data/decode.ts';
import { collectPixels } from '../../workers/embedding/featureBatches.ts';

const SPEC: DecodeSpec = { size: 23, channels: 1 };
const PACKS = 3;
const PER_PACK = 7;

let s3: Awaited<ReturnType<typeof startTestS3>>;
let blobs: BlobStore;
let images: ImageRef[];
const dirs: string[] = [];

/** The real store, with its range reads counted. */
function counted(store: BlobStore) {
  const reads = { count: 0 };
  const wrapped: BlobStore = Object.create(store);
  wrapped.getRange = (key, start, end) => {
    reads.count++;
    return store.getRange(key, start, end);
  };
  wrapped.get = (key) => {
    reads.count++;
    return store.get(key);
  };
  return { store: wrapped, reads };
}

async function freshCache(maxBytes = 1 << 20) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-loader-'));
  dirs.push(dir);
  return new DecodedImageCache(dir, maxBytes);
}

/** Packs of concatenated PNGs, as ingest writes them; `corrupt` replaces one image's bytes. */
async function writePacks(corrupt?: { pack: number; slot: number }): Promise<ImageRef[]> {
  const refs: ImageRef[] = [];
  for (let p = 0; p < PACKS; p++) {
    const key = `packs/${corrupt ? 'bad' : 'good'}-${p}`;
    const parts: Buffer[] = [];
    let offset = 0;
    for (let k = 0; k < PER_PACK; k++) {
      const bad = corrupt?.pack === p && corrupt.slot === k;
      const png = bad ? Buffer.from('not an image at all, just bytes') : await patternPng(k % 10, p * PER_PACK + k, 20, 1);
      const sha256 = createHash('sha256').update(png).digest('hex');
      refs.push({ id: `${p}-${k}`, sha256, label: null, s3Key: key, packOffset: offset, bytes: png.length });
      parts.push(png);
      offset += png.length;
    }
    await blobs.put(key, Buffer.concat(parts), 'application/octet-stream');
  }
  return refs;
}

async function allBatches(loader: ImageLoader) {
  const out = [];
  for await (const batch of loader.batches([...loader.images.keys()], PER_PACK)) out.push(batch);
  return out;
}

before(async () => {
  s3 = await startTestS3();
  blobs = createBlobStore(s3.s3);
  await blobs.ensureBucket();
  images = await writePacks();
});
after(async () => {
  await s3?.stop();
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

test('warming reads each pack once, and the batches after it read nothing and match per-image loading', async () => {
  const warm = counted(blobs);
  const cache = await freshCache();
  const warmLoader = new ImageLoader(images, SPEC, { blobs: warm.store, cache });
  const result = await warmLoader.warmCache();
  assert.deepEqual(result, { images: PACKS * PER_PACK, reads: PACKS });
  assert.equal(warm.reads.count, PACKS);
  const warmed = await allBatches(warmLoader);
  assert.equal(warm.reads.count, PACKS, 'batches after the warm-up read from the cache only');

  const cold = counted(blobs);
  const coldBatches = await allBatches(new ImageLoader(images, SPEC, { blobs: cold.store }));
  assert.equal(cold.reads.count, PACKS * PER_PACK, 'without warming, one read per image');
  assert.deepEqual(warmed.map((b) => b.indices), coldBatches.map((b) => b.indices));
  warmed.forEach((b, i) => assert.ok(Buffer.from(b.pixels).equals(Buffer.from(coldBatches[i].pixels)), `batch ${i} pixels`));
  assert.ok(warmed[0].pixels.some((v) => v !== warmed[0].pixels[0]), 'the pattern images are not flat');

  // a second warm-up over a full cache has nothing to read
  const again = counted(blobs);
  const reloaded = new ImageLoader(images, SPEC, { blobs: again.store, cache: new DecodedImageCache(cache.dir, 1 << 20) });
  assert.deepEqual(await reloaded.warmCache(), { images: 0, reads: 0 });
  assert.equal(again.reads.count, 0);
});

test('an image that does not decode is counted as failed during the warm-up, its pack-mates are cached', async () => {
  const refs = await writePacks({ pack: 1, slot: 3 });
  const loader = new ImageLoader(refs, SPEC, { blobs, cache: await freshCache() });
  assert.deepEqual(await loader.warmCache(), { images: PACKS * PER_PACK - 1, reads: PACKS });
  assert.deepEqual([...loader.failed], [PER_PACK + 3]);
  const batches = await allBatches(loader);
  assert.equal(batches.flatMap((b) => b.indices).length, PACKS * PER_PACK - 1);
});

test('without a cache, or with one too small for the images, warming reads nothing', async () => {
  const plain = counted(blobs);
  assert.deepEqual(await new ImageLoader(images, SPEC, { blobs: plain.store }).warmCache(), { images: 0, reads: 0 });
  const small = counted(blobs);
  const tooSmall = await freshCache(SPEC.size * SPEC.size * (PACKS * PER_PACK - 1));
  assert.deepEqual(await new ImageLoader(images, SPEC, { blobs: small.store, cache: tooSmall }).warmCache(), { images: 0, reads: 0 });
  assert.equal(plain.reads.count + small.reads.count, 0);
});

test('a stop asked for before the warm-up reads no pack', async () => {
  const stopped = counted(blobs);
  const result = await new ImageLoader(images, SPEC, { blobs: stopped.store, cache: await freshCache() }).warmCache(() => true);
  assert.deepEqual(result, { images: 0, reads: 0 });
  assert.equal(stopped.reads.count, 0);
});

test("a probe's pass over the raw pixels reads each pack once", async () => {
  const probeReads = counted(blobs);
  const rows = await collectPixels(new ImageLoader(images, SPEC, { blobs: probeReads.store, cache: await freshCache() }), (i) => i % 10);
  assert.equal(probeReads.reads.count, PACKS);
  assert.equal(rows.x.rows, PACKS * PER_PACK);
  assert.equal(rows.x.dim, SPEC.size * SPEC.size);
  assert.deepEqual([...rows.labels.slice(0, 3)], [0, 1, 2]);
});
