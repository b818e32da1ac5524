// Streams a .tar or .tar.gz body into the ingest pipeline entry by entry; the archive is never held
// whole. Gzip is recognised by its magic bytes, whatever the Content-Type said.
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { IngestLimits } from '../config.ts';
import { AppError, errors } from '../errors/catalogue.ts';
import { placeImagePath, type PlacedImage } from './imagePath.ts';
import type { ImageSink } from './store.ts';
import type { SkipReason } from './skips.ts';
import { byteLimit, peek, readAll } from './streams.ts';

const archiveTooLarge = (max: number) =>
  errors.ARCHIVE_TOO_LARGE(max).with({ maxArchiveBytes: max });

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
  if (head.length === 0) throw errors.EMPTY_ARCHIVE();
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
        throw errors.TOO_MANY_ENTRIES('archive', limits.maxArchiveEntries).with({
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
  return errors.INVALID_ARCHIVE(message);
}
