// Local disk cache of decoded images, keyed by content hash and decode spec, bounded in bytes with
// least-recently-used eviction, so epochs after the first never touch S3 or the decoder.
import fs from 'node:fs/promises';
import path from 'node:path';

export class DecodedImageCache {
  /** key → bytes, in access order (Map iteration order = least recently used first) */
  private readonly entries = new Map<string, number>();
  private totalBytes = 0;
  private ready?: Promise<void>;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  private init(): Promise<void> {
    this.ready ??= (async () => {
      await fs.mkdir(this.dir, { recursive: true });
      const files = await fs.readdir(this.dir);
      const stats = await Promise.all(
        files.map(async (name) => ({ name, stat: await fs.stat(path.join(this.dir, name)).catch(() => undefined) })),
      );
      stats
        .filter((s) => s.stat?.isFile() && !s.name.endsWith('.tmp'))
        .sort((a, b) => a.stat!.atimeMs - b.stat!.atimeMs)
        .forEach(({ name, stat }) => this.track(name, stat!.size));
    })();
    return this.ready;
  }

  private track(key: string, bytes: number) {
    this.totalBytes += bytes - (this.entries.get(key) ?? 0);
    this.entries.delete(key);
    this.entries.set(key, bytes);
  }

  async has(key: string): Promise<boolean> {
    await this.init();
    return this.entries.has(key);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    await this.init();
    if (!this.entries.has(key)) return undefined;
    try {
      const data = await fs.readFile(path.join(this.dir, key));
      this.track(key, data.byteLength);
      return data;
    } catch {
      this.totalBytes -= this.entries.get(key) ?? 0;
      this.entries.delete(key);
      return undefined;
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.init();
    if (data.byteLength > this.maxBytes) return;
    const file = path.join(this.dir, key);
    // write-then-rename: a crash never leaves a half-written entry behind
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
    this.track(key, data.byteLength);
    await this.evict();
  }

  private async evict() {
    for (const [key, bytes] of this.entries) {
      if (this.totalBytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.totalBytes -= bytes;
      await fs.rm(path.join(this.dir, key), { force: true });
    }
  }

  get sizeBytes() {
    return this.totalBytes;
  }
}
