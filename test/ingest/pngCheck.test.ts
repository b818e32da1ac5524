// The PNG check must agree with the full libvips decode on every file it accepts, and accept no
// file the full decode refuses.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { checkPng, PNG_CHECK_MAX_PIXELS } from '../../src/ingest/pngCheck.ts';
import { image, truncatedImage } from './fixtures.ts';

const noise = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919) % 251));

/** PNGs of every kind the check reads: gray 1/8/16 bit, gray+alpha, RGB, RGBA. */
async function plainPngs(): Promise<Array<[string, Buffer]>> {
  const raw = (channels: 1 | 2 | 3 | 4) => sharp(noise(9 * 5 * channels), { raw: { width: 9, height: 5, channels } });
  return [
    ['gray8', await raw(1).png().toBuffer()],
    ['gray1', await raw(1).png({ colours: 2, palette: false }).toColourspace('b-w').toBuffer()],
    ['gray16', await raw(1).toColourspace('grey16').png().toBuffer()],
    ['gray+alpha', await raw(2).png().toBuffer()],
    ['rgb', await raw(3).png().toBuffer()],
    ['rgba', await raw(4).png().toBuffer()],
    ['fixture', await image(5, 'png', 12, 7)],
  ];
}

/** Rewrites chunk `type`'s CRC after `edit`, so only the edit itself can be caught. */
function editChunk(png: Buffer, type: string, edit: (body: Buffer) => void): Buffer {
  const out = Buffer.from(png);
  for (let at = 8; at < out.length; ) {
    const length = out.readUInt32BE(at);
    if (out.toString('latin1', at + 4, at + 8) === type) {
      edit(out.subarray(at + 8, at + 8 + length));
      out.writeUInt32BE(crc32(out.subarray(at + 4, at + 8 + length)), at + 8 + length);
      return out;
    }
    at += 12 + length;
  }
  throw new Error(`no ${type} chunk`);
}

describe('checkPng', () => {
  it('reads the shape libvips reads, for every plain kind', async () => {
    for (const [name, png] of await plainPngs()) {
      const meta = await sharp(png).metadata();
      assert.deepEqual(checkPng(png), { width: meta.width, height: meta.height, channels: meta.channels }, name);
    }
  });

  it('accepts nothing the full decode refuses: truncated, a flipped pixel byte, a bad filter byte, a bad CRC', async () => {
    const good = await image(9, 'png', 16, 16);
    const flippedCrc = Buffer.from(good);
    flippedCrc[good.length - 20] ^= 0xff;
    const corrupt: Array<[string, Buffer]> = [
      ['truncated', await truncatedImage('png')],
      ['flipped IDAT byte', editChunk(good, 'IDAT', (b) => (b[Math.floor(b.length / 2)]! ^= 0x55))],
      ['filter byte 9', await (async () => {
        // a stored (uncompressed) deflate block makes the first filter byte addressable
        const raw = sharp(noise(4 * 4), { raw: { width: 4, height: 4, channels: 1 } });
        const stored = await raw.png({ compressionLevel: 0 }).toBuffer();
        return editChunk(stored, 'IDAT', (b) => (b[2 + 5] = 9));
      })()],
      ['bad CRC', flippedCrc],
    ];
    for (const [name, png] of corrupt) {
      assert.equal(checkPng(png), undefined, name);
      await assert.rejects(sharp(png, { failOn: 'error' }).extractChannel(0).raw().toBuffer(), name);
    }
  });

  it('leaves palette, interlaced and large PNGs to the full decode', async () => {
    const rgb = sharp(noise(8 * 8 * 3), { raw: { width: 8, height: 8, channels: 3 } });
    assert.equal(checkPng(await rgb.clone().png({ palette: true }).toBuffer()), undefined, 'palette');
    assert.equal(checkPng(await rgb.clone().png({ progressive: true }).toBuffer()), undefined, 'interlaced');
    const side = Math.sqrt(PNG_CHECK_MAX_PIXELS) + 1;
    assert.equal(checkPng(await image(1, 'png', side, side)), undefined, 'large');
  });
});
