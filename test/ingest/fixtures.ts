// Test inputs made on the fly: tiny distinct images (sharp) and tar(.gz) archives (tar-stream).
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import tar from 'tar-stream';

/** A w×h image whose colour depends on `seed`, so different seeds give different bytes. */
export async function image(seed: number, format: 'png' | 'jpeg' | 'webp' | 'gif' = 'png', w = 8, h = 8): Promise<Buffer> {
  const background = { r: seed % 256, g: (seed * 7) % 256, b: (seed * 13) % 256 };
  return sharp({ create: { width: w, height: h, channels: 3, background } }).toFormat(format).toBuffer();
}

/** A patterned 64×64 image cut to 60% of its bytes: the header still reads, the pixels do not. */
export async function truncatedImage(format: 'png' | 'jpeg'): Promise<Buffer> {
  const raw = Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7919) % 251));
  const full = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } }).toFormat(format).toBuffer();
  return full.subarray(0, Math.floor(full.length * 0.6));
}

export interface TarEntry {
  name: string;
  data?: Buffer | string;
  type?: tar.Header['type'];
  linkname?: string;
}

export async function makeTar(entries: TarEntry[], opts: { gzip?: boolean } = {}): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    if (type === 'file') pack.entry({ name: e.name, type }, e.data ?? '');
    else pack.entry({ name: e.name, type, linkname: e.linkname, size: 0 });
  }
  pack.finalize();
  await done;
  const raw = Buffer.concat(chunks);
  return opts.gzip ? gzipSync(raw) : raw;
}
