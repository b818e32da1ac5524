// Fashion-MNIST from Debian's `dataset-fashion-mnist` idx files: 28x28 grayscale, 10 classes.
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export const FASHION_MNIST_DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
/** Folder names of the labels 0..9, in the dataset's order. */
export const CLASSES = ['tshirt_top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle_boot'];

export type SplitName = 'train' | 't10k';

export interface FashionSplit {
  name: SplitName;
  count: number;
  side: number;
  /** count x side x side bytes, row-major */
  pixels: Buffer;
  labels: Buffer;
}

/** idx3 images / idx1 labels: big-endian header (magic, one u32 per dimension), then one byte per value. */
function readIdx(file: string): { dims: number[]; data: Buffer } {
  const raw = gunzipSync(fs.readFileSync(file));
  const dims = Array.from({ length: raw[3] }, (_, i) => raw.readUInt32BE(4 + 4 * i));
  return { dims, data: raw.subarray(4 + 4 * dims.length) };
}

export function readSplit(name: SplitName, dir = FASHION_MNIST_DIR): FashionSplit {
  if (!fs.existsSync(dir)) throw new Error(`${dir} missing: apt-get install -y dataset-fashion-mnist`);
  const images = readIdx(path.join(dir, `${name}-images-idx3-ubyte.gz`));
  const labels = readIdx(path.join(dir, `${name}-labels-idx1-ubyte.gz`));
  if (images.dims[0] !== labels.dims[0]) throw new Error(`${name}: ${images.dims[0]} images but ${labels.dims[0]} labels`);
  return { name, count: images.dims[0], side: images.dims[1], pixels: images.data, labels: labels.data };
}

/** Raw pixels of image `i`. */
export const imagePixels = (split: FashionSplit, i: number) => split.pixels.subarray(i * split.side ** 2, (i + 1) * split.side ** 2);
