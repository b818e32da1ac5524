// Pixels for the PyTorch reference, decoded by the service's own decoder (src/data/decode.ts, the
// training decode size) so both implementations train and probe on identical bytes. Layout read by
// bench/reference/simsiam_train.py: <prefix>.u8 [N, S, S, C], <prefix>.labels.u8 [N], <prefix>.json.
import fs from 'node:fs';
import path from 'node:path';
import { decodeImage, decodedBytes, decodeSpecOf } from '../../src/data/decode.ts';
import { pngOf } from './archive.ts';
import type { FashionSplit } from './idx.ts';

const DECODE_CHUNK = 64;

export async function writePixels(prefix: string, split: FashionSplit, indices: number[], imageSize: number, labeled: boolean): Promise<string> {
  if (fs.existsSync(`${prefix}.json`)) return prefix;
  fs.mkdirSync(path.dirname(prefix), { recursive: true });
  const spec = decodeSpecOf({ imageSize, channels: 1 });
  const per = decodedBytes(spec);
  const out = Buffer.alloc(indices.length * per);
  for (let start = 0; start < indices.length; start += DECODE_CHUNK) {
    const chunk = indices.slice(start, start + DECODE_CHUNK);
    const decoded = await Promise.all(chunk.map(async (i) => decodeImage(await pngOf(split, i), spec)));
    decoded.forEach((d, c) => out.set(d, (start + c) * per));
  }
  fs.writeFileSync(`${prefix}.u8`, out);
  fs.writeFileSync(`${prefix}.labels.u8`, Buffer.from(indices.map((i) => split.labels[i])));
  // written last: its presence marks a complete set
  fs.writeFileSync(`${prefix}.json`, JSON.stringify({ count: indices.length, size: spec.size, channels: spec.channels, labeled }));
  return prefix;
}
