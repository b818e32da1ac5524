// Reads one image's bytes wherever its row says they are: a range of an image pack, or a whole
// content-addressed object (rows from before packs).
import type { BlobStore } from './s3.ts';

export interface StoredImage {
  s3Key: string;
  /** where the bytes start in the pack; null: the object holds this image alone */
  packOffset: number | null;
  bytes: number;
}

/** Bytes `start` to `end` (exclusive) of an object; a short read (a truncated or replaced pack) throws. */
export async function readRange(blobs: BlobStore, key: string, start: number, end: number): Promise<Buffer> {
  const body = await blobs.getRange(key, start, end - 1);
  const data = Buffer.concat(await body.toArray());
  if (data.length !== end - start) throw new Error(`${key}@${start}: read ${data.length} bytes, expected ${end - start}`);
  return data;
}

export async function readImageBytes(blobs: BlobStore, image: StoredImage): Promise<Buffer> {
  if (image.packOffset === null) return blobs.get(image.s3Key);
  return readRange(blobs, image.s3Key, image.packOffset, image.packOffset + image.bytes);
}
