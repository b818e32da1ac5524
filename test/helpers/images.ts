// Small synthetic labeled images for tests: each class is a distinct pattern, so a model can tell
// them apart, and every image differs (no content-addressed duplicates).
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { Services } from '../../src/services.ts';
import { newId } from '../../src/domain/ids.ts';
import { keys } from '../../src/storage/keys.ts';

export async function patternPng(cls: number, index: number, size = 20, channels: 1 | 3 = 1): Promise<Buffer> {
  const pixels = Buffer.alloc(size * size * channels);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const stripe = cls % 2 === 0 ? (x + index) % 4 < 2 : (y + index) % 4 < 2;
      const base = stripe ? 40 + 50 * cls : 220 - 30 * cls;
      for (let c = 0; c < channels; c++) pixels[(y * size + x) * channels + c] = (base + 7 * c + ((x * y + index) % 5)) & 255;
    }
  }
  return sharp(pixels, { raw: { width: size, height: size, channels } }).png().toBuffer();
}

/** Stores `perClass` images of each of `classes` labels straight into S3 + PostgreSQL. */
export async function seedLabeledDataset(services: Services, tenantId: string, classes: number, perClass: number) {
  const datasetId = newId('ds');
  await services.db.dataset.create({ data: { id: datasetId, tenantId, name: 'seeded' } });
  for (let cls = 0; cls < classes; cls++) {
    for (let i = 0; i < perClass; i++) {
      const png = await patternPng(cls, i);
      const sha256 = createHash('sha256').update(png).digest('hex');
      await services.blobs.put(keys.image(sha256), png, 'image/png');
      await services.db.image.create({
        data: { id: newId('img'), datasetId, s3Key: keys.image(sha256), sha256, format: 'png', width: 20, height: 20, channels: 1, bytes: png.length, label: `class-${cls}`, originalName: `class-${cls}/${i}.png` },
      });
    }
  }
  return datasetId;
}
