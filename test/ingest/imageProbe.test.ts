import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { loadConfig } from '../../src/config.ts';
import { probeImage, sniffFormat } from '../../src/ingest/imageProbe.ts';
import { image, truncatedImage } from './fixtures.ts';

const limits = loadConfig({ MAX_IMAGE_PIXELS: '10000', MAX_IMAGE_BYTES: '100000' }).ingest;

describe('imageProbe', () => {
  it('accepts PNG, JPEG and WebP and reports their shape', async () => {
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const result = await probeImage(await image(1, format, 12, 7), limits);
      assert.deepEqual(result, { ok: true, format, width: 12, height: 7, channels: 3 }, format);
    }
  });

  it('tells unsupported images from non-images by magic number', async () => {
    assert.equal(sniffFormat(await image(1, 'gif')), 'unsupported');
    assert.deepEqual(await probeImage(await image(1, 'gif'), limits), { ok: false, reason: 'UNSUPPORTED_FORMAT' });
    assert.deepEqual(await probeImage(Buffer.from('hello, world'), limits), { ok: false, reason: 'NOT_AN_IMAGE' });
    assert.deepEqual(await probeImage(Buffer.alloc(0), limits), { ok: false, reason: 'NOT_AN_IMAGE' });
  });

  it('catches truncated files whose header still reads (the header check alone passes them)', async () => {
    for (const format of ['png', 'jpeg'] as const) {
      const truncated = await truncatedImage(format);
      assert.equal((await sharp(truncated).metadata()).format, format);
      assert.deepEqual(await probeImage(truncated, limits), { ok: false, reason: 'CORRUPT_IMAGE' }, format);
    }
  });

  it('refuses images over the pixel limit and files over the byte limit', async () => {
    assert.deepEqual(await probeImage(await image(1, 'png', 101, 100), limits), { ok: false, reason: 'IMAGE_TOO_LARGE' });
    assert.deepEqual(await probeImage(Buffer.alloc(100001), limits), { ok: false, reason: 'FILE_TOO_LARGE' });
  });
});
