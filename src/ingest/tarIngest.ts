// Streams a .tar or .tar.gz body into the ingest pipeline entry by entry; the archive is never held
// whole. Gzip is recognised by its magic bytes, whatever the Content-Type said.
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { IngestLimits } from '../config.ts';
import { AppError } from '../domain/errors.ts';
import { placeImagePath, type PlacedImage } from './imagePath.ts';
import type { ImageSink } from './store.ts';
import type { SkipReason } from './skips.ts';
import { byteLimit, peek, readAll } from './streams.ts';

const archiveTooLarge = (max: number) =>
  new AppError(413, 'ARCHIVE_TOO_LARGE', `the archive exceeds ${max} bytes`, { maxArchiveBytes: max });

/** Where a tar entry goes in the dataset, or why it is skipped. */
function placeEntry(header: tar.Header, limits: IngestLimits): PlacedImage | SkipReason {
  if (header.type === 'symlink' || header.type === 'link') return 'SYMLINK';
  if (header.type !== 'file' && header.type !== 'contiguous-file') return 'NOT_A_FILE';
  const placed = placeImagePath(header.name);
  if (!placed.ok) return placed.reason;
  if ((header.size ?? 0) > limits.maxImageBytes) return 'FILE_TOO_LARGE';
  return placed;
}

export async function ingestTar(body: Readable, sink: ImageSink, limits: IngestLimits): Promise<void> {
  const max = limits.maxArchiveBytes;
  const head = await peek(body);
  if (head.length === 0) throw new AppError(400, 'EMPTY_ARCHIVE', 'the body is empty; send a .tar or .tar.gz archive');
  const gzip = head.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]));
  const extract = tar.extract();
  // the limit applies to the bytes received and, for gzip, again to the inflated tar (zip bombs)
  const received = byteLimit(max, () => archiveTooLarge(max));
  let streamError: unknown;
  const piped = (
    gzip ? pipeline(received, createGunzip(), byteLimit(max, () => archiveTooLarge(max)), extract) : pipeline(received, extract)
  ).catch((err) => {
    streamError ??= err;
  });
  // piped, not in the pipeline: a failed pipeline destroys its streams, and destroying the request
  // would take the socket, and with it the error response, along
  body.on('error', (err) => received.destroy(err));
  body.pipe(received);
  let entries = 0;
  try {
    for await (const entry of extract) {
      const { header } = entry;
      entries += 1;
      if (entries > limits.maxArchiveEntries) {
        throw new AppError(413, 'TOO_MANY_ENTRIES', `the archive has more than ${limits.maxArchiveEntries} entries`, {
          maxArchiveEntries: limits.maxArchiveEntries,
        });
      }
      if (header.type === 'directory') {
        entry.resume();
        continue;
      }
      const placed = placeEntry(header, limits);
      if (typeof placed === 'string') {
        sink.skip(header.name, placed);
        entry.resume();
        continue;
      }
      const data = await readAll(entry as unknown as AsyncIterable<Uint8Array>);
      await sink.add(placed, data);
    }
  } catch (err) {
    await piped;
    // our own limit errors win over the premature-close error that stopping early causes
    throw asArchiveError(err instanceof AppError ? err : (streamError ?? err));
  }
  await piped;
  if (streamError) throw asArchiveError(streamError);
}

/** Limits keep their 413; a stream that is not a well-formed tar(.gz) is the client's 400. */
function asArchiveError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError(400, 'INVALID_ARCHIVE', `the body is not a readable .tar or .tar.gz: ${message}`);
}
