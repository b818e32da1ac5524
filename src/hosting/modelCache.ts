// Loaded models for synchronous embedding in the API process: one engine thread per (job,
// checkpoint), least recently used evicted beyond `capacity` (each holds a tfjs backend and the
// weights). An evicted model closes once its in-flight requests finish.
import type { FrozenModel } from './frozenModel.ts';

interface Entry {
  model: Promise<FrozenModel>;
  users: number;
  evicted: boolean;
}

export class ModelCache {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly capacity: number) {}

  /** Runs `use` with the model under `key`, opening it with `open` on a miss. */
  async with<T>(key: string, open: () => Promise<FrozenModel>, use: (model: FrozenModel) => Promise<T>): Promise<T> {
    let entry = this.entries.get(key);
    if (entry) this.entries.delete(key);
    else entry = { model: open(), users: 0, evicted: false };
    this.entries.set(key, entry);
    this.evict();
    entry.users++;
    try {
      return await use(await entry.model);
    } catch (err) {
      // a model that failed to open is not kept
      if (this.entries.get(key) === entry && (await entry.model.then(() => false, () => true))) this.drop(key, entry);
      throw err;
    } finally {
      entry.users--;
      if (entry.evicted && entry.users === 0) this.closeEntry(entry);
    }
  }

  private evict() {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      this.drop(key, entry);
    }
  }

  private drop(key: string, entry: Entry) {
    this.entries.delete(key);
    entry.evicted = true;
    if (entry.users === 0) this.closeEntry(entry);
  }

  private closeEntry(entry: Entry) {
    entry.model.then((m) => m.close(), () => {});
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.model.then((m) => m.close(), () => {})));
  }
}
