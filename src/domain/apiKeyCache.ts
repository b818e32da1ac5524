// API-key rows by hash, kept in memory for at most TTL_MS so a status poll does not pay a database
// round trip for its key. Whole rows are kept (whatever columns the table has), and every check a
// request needs (revoked, expired, scopes) is made on the row per request.
//
// A trigger on api_keys NOTIFYs the changed key's hash at commit and each process's LISTEN connection
// evicts it; the process that made the change forgets its keys before it answers, since its own
// notification arrives a moment after the commit. The cache is used only while that LISTEN
// is in force; while it is down every lookup goes to the database, and when it comes back the cache
// starts empty (notifications sent meanwhile are lost). TTL_MS bounds the damage of a connection
// that died without anyone noticing. See docs/performance.md.
import type { Db } from '../db/client.ts';
import { NotificationListener } from '../db/notificationListener.ts';
import type { ApiKey } from '../generated/prisma/client.ts';

/** The channel prisma/migrations/*_api_key_change_notify NOTIFYs: a key's hash, or '*' for all. */
export const API_KEY_CHANNEL = 'simsiam_api_key_changed';
export const TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

/** Finds a key's row by the sha256 of the key. */
export interface ApiKeyRows {
  byHash(hash: string): Promise<ApiKey | null>;
}

const uncachedApiKeyRows = (db: Db): ApiKeyRows => ({ byHash: (hash) => db.apiKey.findUnique({ where: { hash } }) });

export class ApiKeyCache implements ApiKeyRows {
  private readonly entries = new Map<string, { row: ApiKey; expiresAt: number }>();
  private readonly rows: ApiKeyRows;
  private readonly listener: NotificationListener;
  private listening = false;
  // bumped by every eviction: a database read that started before one must not refill the cache
  private generation = 0;

  constructor(db: Db, databaseUrl: string) {
    this.rows = uncachedApiKeyRows(db);
    this.listener = new NotificationListener(databaseUrl, API_KEY_CHANNEL, {
      notification: (hash) => (hash === '*' ? this.flush() : this.evict(hash)),
      listening: () => {
        this.flush();
        this.listening = true;
      },
      lost: () => {
        this.listening = false;
        this.flush();
      },
    });
  }

  async byHash(hash: string): Promise<ApiKey | null> {
    if (!this.listening) {
      this.listener.start();
      return this.rows.byHash(hash);
    }
    const hit = this.entries.get(hash);
    if (hit && hit.expiresAt > Date.now()) return hit.row;
    const generation = this.generation;
    const row = await this.rows.byHash(hash);
    if (row && this.listening && generation === this.generation) this.remember(hash, row);
    return row;
  }

  private remember(hash: string, row: ApiKey): void {
    this.entries.delete(hash);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(hash, { row, expiresAt: Date.now() + TTL_MS });
  }

  private evict(hash: string): void {
    this.generation++;
    this.entries.delete(hash);
  }

  /** Drops every entry; also for a key change this process made, whose NOTIFY arrives after the answer. */
  flush(): void {
    this.generation++;
    this.entries.clear();
  }

  close(): Promise<void> {
    return this.listener.close();
  }
}
