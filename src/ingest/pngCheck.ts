// Proves a small, plain PNG intact without libvips: every chunk's CRC, the whole zlib stream
// inflated (its Adler-32 checked), exactly height rows of the right length, each with a valid filter
// byte. That is what a full decode would refuse such a file for, at a fraction of the cost of a
// libvips pipeline per image. It never refuses: anything it cannot prove (interlaced, palette,
// tRNS, other critical chunks, a CRC or zlib error, a large image) is left to the full decode,
// which then gives the reason.
import { crc32, inflateSync } from 'node:zlib';
import type { ImageInfo } from './imageProbe.ts';

/** Inflated on the event loop, so only images this small take this path. */
export const PNG_CHECK_MAX_PIXELS = 256 * 256;

const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

export function checkPng(data: Buffer): Omit<ImageInfo, 'format'> | undefined {
  let header: { width: number; height: number; depth: number; samples: number } | undefined;
  const idat: Buffer[] = [];
  for (let at = 8; at + 12 <= data.length; ) {
    const length = data.readUInt32BE(at);
    const end = at + 12 + length;
    if (end > data.length) return undefined;
    if (crc32(data.subarray(at + 4, at + 8 + length)) !== data.readUInt32BE(at + 8 + length)) return undefined;
    const type = data.toString('latin1', at + 4, at + 8);
    const body = data.subarray(at + 8, at + 8 + length);
    if (!header) {
      if (type !== 'IHDR' || length !== 13) return undefined;
      const [width, height] = [body.readUInt32BE(0), body.readUInt32BE(4)];
      const [depth, colorType, compression, filter, interlace] = body.subarray(8);
      const samples = SAMPLES[colorType!];
      const depthOk = depth === 8 || depth === 16 || (colorType === 0 && (depth === 1 || depth === 2 || depth === 4));
      if (!samples || !depthOk || compression || filter || interlace) return undefined;
      if (!width || !height || width * height > PNG_CHECK_MAX_PIXELS) return undefined;
      header = { width, height, depth: depth!, samples };
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') return end === data.length && idat.length ? rowsIntact(header, idat) : undefined;
    // an uppercase first letter marks a critical chunk: one we do not read changes the pixels
    else if (type.charCodeAt(0) < 0x61 || type === 'tRNS') return undefined;
    at = end;
  }
  return undefined;
}

function rowsIntact(header: { width: number; height: number; depth: number; samples: number }, idat: Buffer[]) {
  const { width, height, depth, samples } = header;
  const row = Math.ceil((width * samples * depth) / 8) + 1;
  let pixels: Buffer;
  try {
    pixels = inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat), { maxOutputLength: row * height });
  } catch {
    return undefined;
  }
  if (pixels.length !== row * height) return undefined;
  for (let y = 0; y < height; y++) if (pixels[y * row]! > 4) return undefined;
  return { width, height, channels: samples };
}
