// Streams a GET to a file with a download bar; the file appears only once complete (written to
// FILE.part, then renamed), so a failed download leaves no truncated file behind.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { send, type Connection } from './api.ts';
import type { Output } from './output.ts';
import { ByteProgress, counted } from './transfer.ts';

/** Downloads `path` into `file`; the byte count. */
export async function download(out: Output, conn: Connection, path: string, file: string): Promise<number> {
  const response = await send(conn, path);
  const total = Number(response.headers.get('content-length')) || undefined;
  const progress = new ByteProgress(out, 'downloading', total);
  const part = `${file}.part`;
  try {
    const body = Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
    await pipeline(counted(body, (n) => progress.add(n)), fs.createWriteStream(part));
    await fs.promises.rename(part, file);
  } catch (err) {
    await fs.promises.rm(part, { force: true });
    throw err;
  } finally {
    progress.stop();
  }
  return progress.moved;
}
