// ImageFolder tar.gz archives of Fashion-MNIST PNGs for POST /v1/datasets/:id/archive: `<label>/<file>`
// entries are labeled, top-level entries are not. Written to a temporary file and renamed, so an
// interrupted build never leaves a truncated archive that a later run would reuse.
import fs from 'node:fs';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import tar from 'tar-stream';
import { CLASSES, imagePixels, type FashionSplit } from './idx.ts';

export interface ArchivePart {
  split: FashionSplit;
  /** image indices in the split, in archive order; default all */
  indices?: number[];
  /** folder every entry of the part goes under (e.g. `train/`); default none */
  prefix?: string;
  /** true: every image under its class folder; false: top level; n: only the first n labeled */
  labeled?: boolean | number;
}

const ENCODE_CHUNK = 64;

// grayscale PNGs: sharp writes sRGB unless told, and the service would take the set for colour
export const pngOf = (split: FashionSplit, i: number) =>
  sharp(imagePixels(split, i), { raw: { width: split.side, height: split.side, channels: 1 } }).toColourspace('b-w').png().toBuffer();

export async function writeArchive(file: string, parts: ArchivePart[]): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const pack = tar.pack();
  const tmp = `${file}.tmp`;
  const written = pipeline(pack as unknown as NodeJS.ReadableStream, createGzip(), fs.createWriteStream(tmp));
  for (const { split, indices, prefix = '', labeled = true } of parts) {
    const order = indices ?? Array.from({ length: split.count }, (_, i) => i);
    // encode a chunk at a time: sharp runs on libuv's pool, the tar stream must stay in order
    for (let start = 0; start < order.length; start += ENCODE_CHUNK) {
      const chunk = order.slice(start, start + ENCODE_CHUNK);
      const pngs = await Promise.all(chunk.map((i) => pngOf(split, i)));
      for (let c = 0; c < chunk.length; c++) {
        const keepLabel = labeled === true || (typeof labeled === 'number' && start + c < labeled);
        const name = `${prefix}${keepLabel ? `${CLASSES[split.labels[chunk[c]]]}/` : ''}${split.name}-${chunk[c]}.png`;
        await new Promise<void>((resolve, reject) => pack.entry({ name }, pngs[c], (err) => (err ? reject(err) : resolve())));
      }
    }
  }
  pack.finalize();
  await written;
  fs.renameSync(tmp, file);
}

/** Builds the archive unless a complete one is already there (its name must encode its contents). */
export async function ensureArchive(file: string, parts: ArchivePart[]): Promise<string> {
  if (!fs.existsSync(file)) await writeArchive(file, parts);
  return file;
}
