// The one validate-and-store pipeline behind every ingest route: probe → sha256 → content-addressed
// put to S3 → batched row insert. Producers await add(), which returns once the file has a slot, so
// at most MAX_TASKS files / MAX_BYTES bytes are in flight whatever the source's speed.
import { createHash } from 'node:crypto';
import type { IngestLimits } from '../config.ts';
import type pg from 'pg';
import type { Db } from '../db/client.ts';
import { AppError } from '../errors/catalogue.ts';
import { newId } from '../domain/ids.ts';
import type { BlobStore } from '../storage/s3.ts';
import { keys } from '../storage/keys.ts';
import { blobLeases, collectImageBlobs } from '../storage/blobGc.ts';
import { CONTENT_TYPES, probeImage } from './imageProbe.ts';
import type { PlacedImage } from './imagePath.ts';
import { insertImageRows, type ImageRow } from './imageRows.ts';
import { Limiter } from './limiter.ts';
import { SkipError, type SkipReason } from './skips.ts';
import { MAX_NAME_LENGTH, namesProblem } from './imageNames.ts';

const MAX_TASKS = 16;
const MAX_BYTES = 64 * 1024 * 1024;
const INSERT_BATCH = 500;
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

function createSink(deps: IngestDeps, datasetId: string) {
  const result: IngestResult = { added: 0, duplicates: 0, skipped: [], skippedCount: 0 };
  const slots = new Limiter(MAX_TASKS, MAX_BYTES);
  const leases = blobLeases(deps.pool);
  const inFlight = new Set<Promise<void>>();
  let rows: ImageRow[] = [];
  let failure: unknown;
  // a batch was refused (quota): its blobs are in S3 without rows
  let refused = false;

  const skip = (name: string, reason: SkipReason) => {
    result.skippedCount += 1;
    if (result.skipped.length < MAX_SKIPPED_LISTED) result.skipped.push({ name, reason });
  };

  async function flush() {
    if (!rows.length) return;
    const batch = rows;
    rows = [];
    // the (datasetId, sha256) unique key turns files already in the dataset, or earlier in this
    // batch, into duplicates
    const shas = batch.map((r) => r.sha256);
    let count: number;
    try {
      count = await insertImageRows(deps.pool, datasetId, batch);
    } catch (err) {
      refused = true;
      await leases.release(shas, false);
      throw err;
    }
    await leases.release(shas, true);
    result.added += count;
    result.duplicates += batch.length - count;
  }

  async function store(image: PlacedImage, data: Buffer) {
    const probe = await probeImage(data, deps.limits);
    if (!probe.ok) return skip(image.name, probe.reason);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const s3Key = keys.image(sha256);
    // the lease keeps the garbage collector off this blob until its row is written
    await leases.take(sha256);
    // identical bytes have identical keys, so re-putting an existing blob is harmless; duplicates
    // are found by the insert, not by remembering hashes, so memory stays flat however long the feed
    await deps.blobs.put(s3Key, data, CONTENT_TYPES[probe.format]);
    rows.push({
      id: newId('img'),
      s3Key,
      sha256,
      format: probe.format,
      width: probe.width,
      height: probe.height,
      channels: probe.channels,
      bytes: data.length,
      label: image.label,
      split: image.split,
      originalName: image.name,
    });
    if (rows.length >= INSERT_BATCH) await flush();
  }

  const sink: ImageSink = {
    async add(image, load, weight) {
      if (failure) throw failure;
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

  /** Waits for every file in flight and inserts the remaining rows. */
  async function settle(): Promise<IngestResult> {
    while (inFlight.size) await Promise.all(inFlight);
    if (!failure) await flush().catch((err) => (failure = err));
    if (failure) throw failure;
    return result;
  }

  /** After settle, success or not: blobs put whose rows were never written are collected. */
  async function cleanUp() {
    rows = [];
    const orphans = leases.held;
    await leases.releaseRest();
    if (orphans || refused) await collectImageBlobs(deps);
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
