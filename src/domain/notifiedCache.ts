// Rows kept in memory that a database NOTIFY evicts at commit, for the caches of hot reads (API keys,
// job views). The entries are used only while the owner's LISTEN is in force: notifications sent
// while it is down are lost, so the cache empties when the LISTEN is lost or re-made, and reads go
// to the database in between. A read that started before an eviction does not refill the cache with
// what it read, and the TTL bounds what a connection that died unnoticed could serve.
const MAX_ENTRIES = 10_000;

export class NotifiedCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private listening = false;
  // bumped by every eviction: a database read that started before one must not refill the cache
  private generation = 0;

  /** `listen` starts the owner's LISTEN (called on reads while it is not in force; must be idempotent). */
  constructor(
    private readonly ttlMs: number,
    private readonly listen: () => void,
  ) {}

  /**
   * The value for `key`: from memory when an entry is fresh and `usable` accepts it, else from `load`
   * (null is returned but never kept).
   */
  async get(key: string, load: () => Promise<V | null>, usable: (value: V) => boolean = () => true): Promise<V | null> {
    if (!this.listening) {
      this.listen();
      return load();
    }
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > Date.now() && usable(hit.value)) return hit.value;
    const generation = this.generation;
    const value = await load();
    if (value !== null && this.listening && generation === this.generation) this.remember(key, value);
    return value;
  }

  /** The LISTEN's events: a key changed ('*': all of them), it is in force, it was lost. */
  readonly watcher = {
    changed: (key: string) => (key === '*' ? this.flush() : this.evict(key)),
    listening: () => {
      this.flush();
      this.listening = true;
    },
    lost: () => {
      this.listening = false;
      this.flush();
    },
  };

  /** Drops every entry; also for a change this process made, whose NOTIFY arrives after the answer. */
  flush(): void {
    this.generation++;
    this.entries.clear();
  }

  private evict(key: string): void {
    this.generation++;
    this.entries.delete(key);
  }

  private remember(key: string, value: V): void {
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expiresAt: Date.now() + this.ttlMs });
  }
}
