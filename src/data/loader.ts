// Images of a dataset as fixed-size uint8 batches: S3 → decode → local cache, with bounded
// concurrency, and batches prefetched ahead of the consumer so a training step never waits on I/O
// once the pipeline is warm. Corrupt objects are skipped and counted, never fatal.
import type { BlobStore } from '../storage/s3.ts';
import { readImageBytes, type StoredImage } from '../storage/imageBytes.ts';
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
    return withRetries(() => readImageBytes(this.opts.blobs, image), { retries: this.opts.retries ?? 4, baseDelayMs: 200 });
  }

  /** Decodes the given images into one batch, `concurrency` at a time. */
  async batch(indices: number[]): Promise<Batch> {
    const size = decodedBytes(this.spec);
    const decoded: Array<Uint8Array | undefined> = new Array(indices.length);
    let next = 0;
    const worker = async () => {
      while (next < indices.length) {
        const slot = next++;
        decoded[slot] = await this.load(indices[slot]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, indices.length) }, worker));
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
