// Groups ingested images into packs: one S3 object (and one row batch) per few hundred small images
// instead of one PUT each. With tiny images the per-request cost of S3 (signing, a round trip, the
// server's bookkeeping per object; on AWS also the price per PUT) is the ingest's ceiling, not bytes.
// Memory stays bounded: a full pack waits for one of PACKS_IN_FLIGHT writers, and while it waits no
// image enters the next one, so the producer is held back instead.
import { Limiter } from './limiter.ts';

export interface PackBounds {
  /** a pack closes at this many images... */
  images: number;
  /** ...or bytes, whichever comes first (a larger image makes a pack of its own) */
  bytes: number;
  /** packs being written at once */
  writers: number;
}

export class Packer<T extends { data: Buffer }> {
  private open: T[] = [];
  private openBytes = 0;
  private sealing: Promise<void> | undefined;
  private readonly writers: Limiter;
  private readonly writing = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly bounds: PackBounds,
    private readonly write: (entries: T[]) => Promise<void>,
  ) {
    this.writers = new Limiter(bounds.writers, Number.POSITIVE_INFINITY);
  }

  /** The first failed write, if any; later adds refuse with it. */
  get failed(): { error: unknown } | undefined {
    return this.failure;
  }

  /** Resolves once the entry is in a pack that is open or being written. */
  async add(entry: T): Promise<void> {
    while (this.sealing) await this.sealing;
    if (this.failure) throw this.failure.error;
    this.open.push(entry);
    this.openBytes += entry.data.length;
    if (this.open.length >= this.bounds.images || this.openBytes >= this.bounds.bytes) {
      this.sealing = this.seal().finally(() => (this.sealing = undefined));
      await this.sealing;
    }
  }

  /** Writes the open pack (unless `writeOpen` is false: a failed ingest) and waits for every write. */
  async finish(writeOpen: boolean): Promise<void> {
    while (this.sealing) await this.sealing;
    if (writeOpen && !this.failure && this.open.length) await this.seal();
    this.open = [];
    while (this.writing.size) await Promise.all(this.writing);
    if (this.failure) throw this.failure.error;
  }

  private async seal() {
    const entries = this.open;
    this.open = [];
    this.openBytes = 0;
    const release = await this.writers.acquire(1);
    const task = this.write(entries)
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(release);
    this.writing.add(task);
    void task.finally(() => this.writing.delete(task));
  }
}
