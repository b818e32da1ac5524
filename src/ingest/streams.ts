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

/**
 * Reads and discards what is left of a request body, up to `maxBytes` or `maxMs`, so that a client
 * still sending when we refuse reads our answer instead of a reset connection. True when the body
 * ended; false when a bound was hit (the caller then closes the connection).
 */
export function discardRest(body: Readable, { maxBytes, maxMs }: { maxBytes: number; maxMs: number }): Promise<boolean> {
  if (body.readableEnded) return Promise.resolve(true);
  if (body.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let bytes = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      body.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onError);
      if (!ended) body.pause();
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(body.readableEnded);
    const onError = () => finish(false);
    const timer = setTimeout(() => finish(false), maxMs);
    body.unpipe();
    body.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onError);
    body.resume();
  });
}
