// Images of a dataset as fixed-size uint8 batches: S3 → decode → local cache, with bounded
// concurrency, and batches prefetched ahead of the consumer so a training step never waits on I/O
// once the pipeline is warm. Corrupt objects are skipped and counted, never fatal.
import type { BlobStore } from '../storage/s3.ts';
import { readImageBytes, readRange, type StoredImage } from '../storage/imageBytes.ts';
import { withRetries } from '../storage/retry.ts';
import type { DecodedImageCache } from './cache.ts';
import { decodeImage, decodedBytes, type DecodeSpec } from './decode.ts';

export interface ImageRef extends StoredImage {
  id: string;
  sha256: string;
  label: string | null;
}

export interface Batch {
  /** indices into the image list, in batch order (skipped images removed) */
  indices: number[];
  /** [indices.length, size, size, channels] uint8, row-major */
  pixels: Uint8Array;
}

export interface WarmResult {
  /** images decoded into the cache */
  images: number;
  /** S3 reads it took */
  reads: number;
}

/** packs read at once while warming; a pack is at most a few MB */
const PACK_READERS = 4;

/** Runs `fn(0) … fn(count - 1)`, at most `limit` at a time. */
async function eachLimited(count: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const runner = async () => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, runner));
}

export interface LoaderOptions {
  blobs: BlobStore;
  cache?: DecodedImageCache;
  /** parallel S3 reads + decodes */
  concurrency?: number;
  /** batches prepared ahead of the consumer */
  prefetch?: number;
  /** retries of a transient S3 error before the whole load fails */
  retries?: number;
}

export class ImageLoader {
  readonly failed = new Set<number>();
  private readonly concurrency: number;
  private readonly prefetch: number;

  constructor(
    readonly images: ImageRef[],
    readonly spec: DecodeSpec,
    private readonly opts: LoaderOptions,
  ) {
    this.concurrency = opts.concurrency ?? 16;
    this.prefetch = opts.prefetch ?? 3;
  }

  private cacheKey(i: number) {
    return `${this.images[i].sha256}-${this.spec.size}x${this.spec.channels}`;
  }

  /** One decoded image, or undefined when its bytes do not decode (counted in `failed`). */
  async load(i: number): Promise<Uint8Array | undefined> {
    if (this.failed.has(i)) return undefined;
    const key = this.cacheKey(i);
    const cached = await this.opts.cache?.get(key);
    if (cached) return cached;
    const bytes = await this.fetch(this.images[i]);
    try {
      const pixels = await decodeImage(bytes, this.spec);
      await this.opts.cache?.put(key, pixels);
      return pixels;
    } catch {
      this.failed.add(i);
      return undefined;
    }
  }

  private fetch(image: StoredImage): Promise<Buffer> {
    return this.retried(() => readImageBytes(this.opts.blobs, image));
  }

  private retried<T>(read: () => Promise<T>): Promise<T> {
    return withRetries(read, { retries: this.opts.retries ?? 4, baseDelayMs: 200 });
  }

  /**
   * Decodes into the cache every packed image not in it yet, reading the images of each pack with
   * one GET instead of one per image, so that the first epoch too runs from the cache. Nothing to do
   * without a cache, or when the images would not fit in it. A pack that cannot be read is left to
   * `load`, image by image. `stop` is asked between packs, so a preempted worker does not wait out the
   * whole warm-up.
   */
  async warmCache(stop: () => boolean = () => false): Promise<WarmResult> {
    const cache = this.opts.cache;
    const result = { images: 0, reads: 0 };
    if (!cache) return result;
    const packs = new Map<string, number[]>();
    for (let i = 0; i < this.images.length; i++) {
      const { s3Key, packOffset } = this.images[i];
      if (packOffset === null || (await cache.has(this.cacheKey(i)))) continue;
      const pack = packs.get(s3Key);
      if (pack) pack.push(i);
      else packs.set(s3Key, [i]);
    }
    const missing = [...packs.values()].reduce((n, p) => n + p.length, 0);
    if (missing * decodedBytes(this.spec) > cache.maxBytes) return result;
    const groups = [...packs.values()];
    await eachLimited(groups.length, PACK_READERS, async (g) => {
      if (stop()) return;
      const decoded = await this.warmPack(groups[g], cache);
      if (decoded === undefined) return;
      result.reads++;
      result.images += decoded;
    });
    return result;
  }

  /** One GET over the pack's span of `indices`, then each image decoded and cached; undefined if the read failed. */
  private async warmPack(indices: number[], cache: DecodedImageCache): Promise<number | undefined> {
    const refs = indices.map((i) => this.images[i]);
    const start = Math.min(...refs.map((r) => r.packOffset!));
    const end = Math.max(...refs.map((r) => r.packOffset! + r.bytes));
    const span = await this.retried(() => readRange(this.opts.blobs, refs[0].s3Key, start, end)).catch(() => undefined);
    if (!span) return undefined;
    let decoded = 0;
    await eachLimited(indices.length, this.concurrency, async (k) => {
      const at = refs[k].packOffset! - start;
      const pixels = await decodeImage(span.subarray(at, at + refs[k].bytes), this.spec).catch(() => undefined);
      if (!pixels) return void this.failed.add(indices[k]);
      await cache.put(this.cacheKey(indices[k]), pixels);
      decoded++;
    });
    return decoded;
  }

  /** Decodes the given images into one batch, `concurrency` at a time. */
  async batch(indices: number[]): Promise<Batch> {
    const size = decodedBytes(this.spec);
    const decoded: Array<Uint8Array | undefined> = new Array(indices.length);
    await eachLimited(indices.length, this.concurrency, async (slot) => {
      decoded[slot] = await this.load(indices[slot]);
    });
    const kept = indices.filter((_, k) => decoded[k]);
    const pixels = new Uint8Array(kept.length * size);
    let offset = 0;
    for (const d of decoded) {
      if (!d) continue;
      pixels.set(d, offset);
      offset += size;
    }
    return { indices: kept, pixels };
  }

  /** Batches over `order` in chunks of `batchSize`, with `prefetch` batches in flight. */
  async *batches(order: number[], batchSize: number, { dropLast = true } = {}): AsyncGenerator<Batch> {
    const chunks: number[][] = [];
    for (let i = 0; i < order.length; i += batchSize) {
      const chunk = order.slice(i, i + batchSize);
      if (chunk.length === batchSize || !dropLast) chunks.push(chunk);
    }
    const inFlight: Array<Promise<Batch>> = [];
    let issued = 0;
    const fill = () => {
      while (issued < chunks.length && inFlight.length < this.prefetch) {
        const p = this.batch(chunks[issued++]);
        p.catch(() => {}); // surfaced when awaited below
        inFlight.push(p);
      }
    };
    fill();
    while (inFlight.length) {
      const batch = await inFlight.shift()!;
      fill();
      yield batch;
    }
  }
}
