// Embedding sets kept in memory: a set's rows (RowIndex: image ids, labels, line offsets) here,
// for JSON pages and neighbour lookups, and for neighbour queries also its vectors in the scan
// thread (PackedRows: norms computed once). Least recently used goes first when a set needs room;
// what all sets hold together stays under a byte budget (EMBEDDING_CACHE_BYTES). What would not fit
// alone is never loaded: those requests read storage as before.
//
// A succeeded set never changes, and every request checks the set in PostgreSQL before it comes
// here, so an entry is never wrong, only possibly unreachable. Deletion frees it at once: a trigger
// on embedding_sets NOTIFYs the deleted id at commit (whatever deleted it: the set's route, its
// job's, its tenant's, on any replica) and each process drops it. A notification missed while the
// LISTEN connection was down leaves an unreachable entry until it is the least recently used.
import type { BlobStore } from '../storage/s3.ts';
import { NotificationListener } from '../db/notificationListener.ts';
import { allVectors, type StoredSet } from './embeddingReader.ts';
import { NeighborScanner } from './neighborScanner.ts';
import { PackedRows } from './packedRows.ts';
import { RowIndex } from './rowIndex.ts';

/** The channel prisma/migrations/*_embedding_set_delete_notify NOTIFYs: a set's id, or '*' for all. */
export const EMBEDDING_SET_CHANNEL = 'simsiam_embedding_set_deleted';

export type HotSetRef = StoredSet & { id: string };

/** A set held in memory with its vectors: its rows here, its vectors in the scan thread under `key`. */
export interface HotSet {
  key: string;
  rows: RowIndex;
}

interface Entry {
  /** what the set holds here and in the thread, as counted in HotSets.bytes */
  bytes: number;
  /** given up (evicted or deleted): loads under way stop and answer undefined */
  gone: AbortController;
  rows: Promise<RowIndex | undefined>;
  /** set by the first neighbour query */
  vectors?: Promise<HotSet | undefined>;
  held?: HotSet;
}

export class HotSets {
  // a lost thread has lost what it held
  readonly scanner = new NeighborScanner(() => this.discardAll());
  // in use order: the first is the least recently used
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private loads = 0;
  private readonly listener?: NotificationListener;

  constructor(
    private readonly blobs: BlobStore,
    readonly budgetBytes: number,
    databaseUrl?: string,
  ) {
    if (databaseUrl) {
      this.listener = new NotificationListener(databaseUrl, EMBEDDING_SET_CHANNEL, {
        notification: (id) => (id === '*' ? this.clear() : this.forget(id)),
        // a missed deletion costs memory until eviction, never a wrong answer: nothing to flush
        listening: () => {},
        lost: () => {},
      });
    }
  }

  /** The set's rows, read now if need be; undefined when they do not fit. */
  async rows(set: HotSetRef): Promise<RowIndex | undefined> {
    return this.entry(set)?.rows;
  }

  /** The set with its vectors, loaded now if need be; undefined when they do not fit (or the set was dropped meanwhile). */
  async acquire(set: HotSetRef): Promise<HotSet | undefined> {
    const entry = this.entry(set);
    if (!entry) return undefined;
    entry.vectors ??= this.loadVectors(set, entry);
    return entry.vectors;
  }

  /** The set if its vectors are held now; never loads, never waits. */
  held(id: string): HotSet | undefined {
    return this.entries.get(id)?.held;
  }

  /** What the sets hold, by id (for tests and operators). */
  stats(): { bytes: number; sets: Record<string, { bytes: number; vectors: boolean }> } {
    return { bytes: this.bytes, sets: Object.fromEntries([...this.entries].map(([id, e]) => [id, { bytes: e.bytes, vectors: e.held !== undefined }])) };
  }

  /** The set's entry, now the most recently used; undefined when the whole set would not fit. */
  private entry(set: HotSetRef): Entry | undefined {
    let entry = this.entries.get(set.id);
    if (entry) this.entries.delete(set.id);
    else if (PackedRows.bytesFor(set.count, set.dim) + RowIndex.leastBytes(set.count) > this.budgetBytes) return undefined;
    else entry = this.loadRows(set);
    this.entries.set(set.id, entry);
    return entry;
  }

  private loadRows(set: HotSetRef): Entry {
    this.listener?.start();
    const entry: Entry = { bytes: 0, gone: new AbortController(), rows: Promise.resolve(undefined) };
    entry.rows = (async () => {
      const rows = await RowIndex.read(this.blobs, set);
      return this.count(set.id, entry, rows.bytes) ? rows : undefined;
    })();
    // a failed read is forgotten, so the next request tries again
    entry.rows.catch(() => this.discard(set.id, entry));
    return entry;
  }

  private async loadVectors(set: HotSetRef, entry: Entry): Promise<HotSet | undefined> {
    const rows = await entry.rows;
    if (!rows || !this.count(set.id, entry, PackedRows.bytesFor(set.count, set.dim))) return undefined;
    const key = `${set.id}#${++this.loads}`;
    try {
      await this.scanner.hold(key, set.count, set.dim, allVectors(this.blobs, set), entry.gone.signal);
    } catch (err) {
      const givenUp = entry.gone.signal.aborted;
      this.discard(set.id, entry);
      if (givenUp) return undefined;
      throw err;
    }
    if (entry.gone.signal.aborted) {
      // given up after its last chunk was sent
      this.scanner.drop(key).catch(() => {});
      return undefined;
    }
    entry.held = { key, rows };
    return entry.held;
  }

  /**
   * Adds `bytes` to the entry, first making room by dropping the least recently used others;
   * false when the entry is gone, or would not fit (then it goes).
   */
  private count(id: string, entry: Entry, bytes: number): boolean {
    if (entry.gone.signal.aborted) return false;
    if (entry.bytes + bytes > this.budgetBytes) {
      this.discard(id, entry);
      return false;
    }
    for (const [other, e] of this.entries) {
      if (this.bytes + bytes <= this.budgetBytes) break;
      if (e !== entry && e.bytes > 0) this.forget(other);
    }
    entry.bytes += bytes;
    this.bytes += bytes;
    return true;
  }

  /** Takes `entry` out if it is still the one under `id`, and gives up its loads. */
  private discard(id: string, entry: Entry): void {
    entry.gone.abort();
    if (this.entries.get(id) !== entry) return;
    this.entries.delete(id);
    this.bytes -= entry.bytes;
  }

  private discardAll(): void {
    for (const [id, entry] of [...this.entries]) this.discard(id, entry);
  }

  /** Drops set `id`: loads under way are given up, held vectors are let go. */
  forget(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.discard(id, entry);
    // sent after the hold (which is sent before any await that could let this run): the thread lets go
    if (entry.held) this.scanner.drop(entry.held.key).catch(() => {});
  }

  /** Drops every set. */
  clear(): void {
    for (const id of [...this.entries.keys()]) this.forget(id);
  }

  async close(): Promise<void> {
    this.clear();
    await this.listener?.close();
    await this.scanner.close();
  }
}
