// Reads one image's bytes wherever its row says they are: a range of an image pack, or a whole
// content-addressed object (rows from before packs).
import type { BlobStore } from './s3.ts';

export interface StoredImage {
  s3Key: string;
  /** where the bytes start in the pack; null: the object holds this image alone */
  packOffset: number | null;
  bytes: number;
}

export async function readImageBytes(blobs: BlobStore, image: StoredImage): Promise<Buffer> {
  if (image.packOffset === null) return blobs.get(image.s3Key);
  const body = await blobs.getRange(image.s3Key, image.packOffset, image.packOffset + image.bytes - 1);
  const data = Buffer.concat(await body.toArray());
  // a short read (a truncated or replaced pack) must not pass as the image
  if (data.length !== image.bytes) throw new Error(`${image.s3Key}@${image.packOffset}: read ${data.length} bytes, expected ${image.bytes}`);
  return data;
}
