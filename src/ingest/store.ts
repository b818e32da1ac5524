// The one validate-and-store pipeline behind every ingest route: probe → sha256 → into an image pack
// (packs.ts) → one PUT of the pack and one row insert for all of its images. Producers await add(),
// which returns once the file has a slot, so at most MAX_TASKS files / MAX_BYTES bytes are being
// probed, and at most PACK_BOUNDS.writers + 2 packs are held, whatever the source's speed.
import { createHash, randomUUID } from 'node:crypto';
import type { IngestLimits } from '../config.ts';
import type pg from 'pg';
import type { Db } from '../db/client.ts';
import { AppError } from '../errors/catalogue.ts';
import { newId } from '../domain/ids.ts';
import type { BlobStore } from '../storage/s3.ts';
import { keys } from '../storage/keys.ts';
import { blobLeases, collectImageBlobs } from '../storage/blobGc.ts';
import { probeImage } from './imageProbe.ts';
import type { PlacedImage } from './imagePath.ts';
import { existingHashes, insertImageRows, type ImageRow } from './imageRows.ts';
import { Limiter } from './limiter.ts';
import { Packer, type PackBounds } from './packs.ts';
import { SkipError, type SkipReason } from './skips.ts';
import { MAX_NAME_LENGTH, namesProblem } from './imageNames.ts';

const MAX_TASKS = 16;
const MAX_BYTES = 64 * 1024 * 1024;
// 500 rows is also the insert batch: one transaction per pack
const PACK_BOUNDS: PackBounds = { images: 500, bytes: 8 * 1024 * 1024, writers: 2 };
/** The response lists this many skipped files; skippedCount has them all. */
export const MAX_SKIPPED_LISTED = 1000;

export interface IngestDeps {
  db: Db;
  pool: pg.Pool;
  blobs: BlobStore;
  limits: IngestLimits;
}

export interface IngestResult {
  added: number;
  duplicates: number;
  skipped: Array<{ name: string; reason: SkipReason }>;
  skippedCount: number;
}

export interface ImageSink {
  /** `load` may fetch the bytes lazily (S3 sources); `weight` is their size, for the memory budget. */
  add(image: PlacedImage, load: Buffer | (() => Promise<Buffer>), weight?: number): Promise<void>;
  skip(name: string, reason: SkipReason): void;
}

type Probed = Omit<ImageRow, 's3Key' | 'packOffset'>;

function createSink(deps: IngestDeps, datasetId: string) {
  const result: IngestResult = { added: 0, duplicates: 0, skipped: [], skippedCount: 0 };
  const slots = new Limiter(MAX_TASKS, MAX_BYTES);
  const leases = blobLeases(deps.pool);
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  // the request's own repeats never reach a pack, whichever writer gets there first
  const placed = new Set<string>();

  const skip = (name: string, reason: SkipReason) => {
    result.skippedCount += 1;
    if (result.skipped.length < MAX_SKIPPED_LISTED) result.skipped.push({ name, reason });
  };

  async function writePack(entries: Array<{ data: Buffer; row: Probed }>) {
    // files already in the dataset stay out of the object (the request's own repeats never get here);
    // the insert's (datasetId, sha256) unique key still catches a concurrent upload of the same bytes
    const existing = new Set(await existingHashes(deps.pool, datasetId, entries.map((e) => e.row.sha256)));
    const kept = entries.filter((e) => !existing.has(e.row.sha256));
    result.duplicates += entries.length - kept.length;
    if (!kept.length) return;
    const s3Key = keys.imagePack(randomUUID());
    let offset = 0;
    const rows = kept.map(({ data, row }) => {
      const placed = { ...row, s3Key, packOffset: offset };
      offset += data.length;
      return placed;
    });
    // the lease keeps the garbage collector off the pack until its rows are written
    await leases.take(s3Key);
    await deps.blobs.put(s3Key, Buffer.concat(kept.map((e) => e.data)), 'application/octet-stream');
    let count: number;
    try {
      count = await insertImageRows(deps.pool, datasetId, rows);
    } catch (err) {
      await leases.release([s3Key], false);
      throw err;
    }
    // a pack none of whose rows went in (all written concurrently by another upload) is collected
    await leases.release([s3Key], count > 0);
    result.added += count;
    result.duplicates += rows.length - count;
  }

  const packer = new Packer(PACK_BOUNDS, writePack);

  async function store(image: PlacedImage, data: Buffer) {
    const probe = await probeImage(data, deps.limits);
    if (!probe.ok) return skip(image.name, probe.reason);
    const sha256 = createHash('sha256').update(data).digest('hex');
    if (placed.has(sha256)) {
      result.duplicates += 1;
      return;
    }
    placed.add(sha256);
    await packer.add({
      data,
      row: {
        id: newId('img'),
        sha256,
        format: probe.format,
        width: probe.width,
        height: probe.height,
        channels: probe.channels,
        bytes: data.length,
        label: image.label,
        split: image.split,
        originalName: image.name,
      },
    });
  }

  const sink: ImageSink = {
    async add(image, load, weight) {
      if (failure) throw failure;
      if (packer.failed) throw packer.failed.error;
      const refused = namesProblem(image);
      if (refused) return skip(image.name.replaceAll('\0', '\uFFFD').slice(0, MAX_NAME_LENGTH), refused);
      const release = await slots.acquire(weight ?? (Buffer.isBuffer(load) ? load.length : deps.limits.maxImageBytes));
      const task = (async () => {
        try {
          await store(image, Buffer.isBuffer(load) ? load : await load());
        } catch (err) {
          if (err instanceof SkipError) skip(image.name, err.reason);
          else failure ??= err;
        } finally {
          release();
        }
      })();
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    },
    skip,
  };

  /** Waits for every file in flight and writes the last pack (unless something failed). */
  async function settle(): Promise<IngestResult> {
    while (inFlight.size) await Promise.all(inFlight);
    await packer.finish(!failure).catch((err) => (failure ??= err));
    if (failure) throw failure;
    return result;
  }

  /** After settle, success or not: packs put whose rows were never written are collected. */
  async function cleanUp() {
    await leases.releaseRest();
    if (leases.marked) await collectImageBlobs(deps);
  }

  return { sink, settle, cleanUp, result };
}

/**
 * Runs one ingest request. Files stored before a limit, a quota or a malformed source stopped the
 * feed stay in the dataset: the error (413, 403, 400) carries the counts so far in its details.
 */
export async function runIngest(
  deps: IngestDeps,
  datasetId: string,
  feed: (sink: ImageSink) => Promise<void>,
): Promise<IngestResult> {
  const { sink, settle, cleanUp, result } = createSink(deps, datasetId);
  try {
    try {
      await feed(sink);
    } catch (err) {
      await settle().catch(() => undefined);
      throw err;
    }
    return await settle();
  } catch (err) {
    if (err instanceof AppError) {
      const details = typeof err.details === 'object' && err.details ? err.details : {};
      throw err.with({ ...details, ...result });
    }
    throw err;
  } finally {
    await cleanUp();
  }
}
