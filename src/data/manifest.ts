// The images of a dataset in content order (by sha256, unique within a dataset), as the loader and
// the engine see them. Ids are random, so id order would differ between two uploads of the same
// images, and with it every seeded shuffle: same images + same seed = same training and probe.
import type { Db } from '../db/client.ts';
import type { ImageRef } from './loader.ts';

/** `maxSeq`: only images stored up to that point (a job's snapshot of its dataset). */
export async function datasetImages(db: Db, datasetId: string, maxSeq?: bigint | null): Promise<ImageRef[]> {
  return db.image.findMany({
    where: { datasetId, ...(maxSeq != null ? { seq: { lte: maxSeq } } : {}) },
    orderBy: { sha256: 'asc' },
    select: { id: true, sha256: true, s3Key: true, packOffset: true, bytes: true, label: true },
  });
}

/** Label strings → dense class indices (sorted, so the mapping is stable). */
export function labelIndex(images: ImageRef[]): Map<string, number> {
  const labels = [...new Set(images.map((i) => i.label).filter((l): l is string => l !== null))].sort();
  return new Map(labels.map((l, i) => [l, i]));
}
