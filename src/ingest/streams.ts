// Small stream helpers shared by the ingest paths.
import { Transform, type Readable } from 'node:stream';

/** Reads a stream to one buffer; callers bound its size first (entry header, part limit, object size). */
export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The first bytes of a stream without consuming them (for magic-number sniffing). */
export async function peek(stream: Readable): Promise<Buffer> {
  for (;;) {
    const chunk = stream.read() as Buffer | null;
    if (chunk) {
      stream.unshift(chunk);
      return chunk;
    }
    if (stream.readableEnded || stream.destroyed) return Buffer.alloc(0);
    // an empty body ends without ever becoming readable: wait for either
    await new Promise<void>((resolve) => {
      const done = () => {
        stream.off('readable', done);
        stream.off('end', done);
        stream.off('close', done);
        resolve();
      };
      stream.on('readable', done);
      stream.on('end', done);
      stream.on('close', done);
    });
    if (!stream.readableLength && (stream.readableEnded || stream.destroyed)) return Buffer.alloc(0);
  }
}

/** Passes bytes through until more than `max` have gone by, then fails with `onExceed()`. */
export function byteLimit(max: number, onExceed: () => Error): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > max) callback(onExceed());
      else callback(null, chunk);
    },
  });
}
