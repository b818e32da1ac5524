// Decides whether a file is an image the service accepts (PNG, JPEG, WebP within the pixel limit)
// and reads its shape. The header alone cannot prove a file intact, so every accepted image is
// decoded in full: a single-channel raw decode was the cheapest libvips decode measured (a 1x1
// resize was slower and, with the nearest kernel, missed truncated JPEGs). Small plain PNGs are
// proven intact by pngCheck.ts instead, without a libvips pipeline.
import sharp, { type Metadata } from 'sharp';
import type { IngestLimits } from '../config.ts';
import { Limiter } from './limiter.ts';
import { checkPng } from './pngCheck.ts';
import type { SkipReason } from './skips.ts';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export const CONTENT_TYPES: Record<ImageFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
  channels: number;
}

/** Why probing refused the bytes (a subset of the skip reasons). */
export type ProbeRefusal = Extract<SkipReason, 'FILE_TOO_LARGE' | 'NOT_AN_IMAGE' | 'UNSUPPORTED_FORMAT' | 'CORRUPT_IMAGE' | 'IMAGE_TOO_LARGE'>;
export type ProbeResult = ({ ok: true } & ImageInfo) | { ok: false; reason: ProbeRefusal };

const startsWith = (data: Buffer, bytes: number[], at = 0) => bytes.every((b, i) => data[at + i] === b);
const ascii = (data: Buffer, text: string, at = 0) => data.toString('latin1', at, at + text.length) === text;

/** Magic numbers: trusting names or Content-Type would let anything through. */
export function sniffFormat(data: Buffer): ImageFormat | 'unsupported' | undefined {
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(data, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (ascii(data, 'RIFF') && ascii(data, 'WEBP', 8)) return 'webp';
  const otherImage =
    ascii(data, 'GIF8') ||
    ascii(data, 'BM') ||
    startsWith(data, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(data, [0x4d, 0x4d, 0x00, 0x2a]) ||
    ascii(data, 'ftyp', 4) ||
    startsWith(data, [0xff, 0x0a]) ||
    startsWith(data, [0x00, 0x00, 0x01, 0x00]);
  return otherImage ? 'unsupported' : undefined;
}

// One process-wide budget for decode output (1 byte per pixel): concurrent requests cannot multiply it.
const decodes = new Limiter(8, 64 * 1024 * 1024);

export async function probeImage(data: Buffer, limits: IngestLimits): Promise<ProbeResult> {
  if (data.length > limits.maxImageBytes) return { ok: false, reason: 'FILE_TOO_LARGE' };
  const format = sniffFormat(data);
  if (!format) return { ok: false, reason: 'NOT_AN_IMAGE' };
  if (format === 'unsupported') return { ok: false, reason: 'UNSUPPORTED_FORMAT' };
  const plain = format === 'png' ? checkPng(data) : undefined;
  if (plain && plain.width * plain.height <= limits.maxImagePixels) return { ok: true, format, ...plain };
  let meta: Metadata;
  try {
    // the header is read without sharp's own pixel cap, so an oversize image is IMAGE_TOO_LARGE below
    meta = await sharp(data, { limitInputPixels: false }).metadata();
  } catch {
    return { ok: false, reason: 'CORRUPT_IMAGE' };
  }
  const { width, height, channels } = meta;
  if (meta.format !== format || !width || !height || !channels) return { ok: false, reason: 'CORRUPT_IMAGE' };
  if (width * height > limits.maxImagePixels) return { ok: false, reason: 'IMAGE_TOO_LARGE' };
  try {
    await withDecodeBudget(width * height, () =>
      sharp(data, { failOn: 'error', limitInputPixels: limits.maxImagePixels }).extractChannel(0).raw().toBuffer(),
    );
  } catch {
    return { ok: false, reason: 'CORRUPT_IMAGE' };
  }
  return { ok: true, format, width, height, channels };
}

/** Runs a decode of `pixels` pixels under the process-wide decode budget (ingest probes, /embed). */
export async function withDecodeBudget<T>(pixels: number, decode: () => Promise<T>): Promise<T> {
  const release = await decodes.acquire(pixels);
  try {
    return await decode();
  } finally {
    release();
  }
}
