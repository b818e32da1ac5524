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
import { NotifiedCache } from './notifiedCache.ts';
import type { ApiKey } from '../generated/prisma/client.ts';

/** The channel prisma/migrations/*_api_key_change_notify NOTIFYs: a key's hash, or '*' for all. */
export const API_KEY_CHANNEL = 'simsiam_api_key_changed';
export const TTL_MS = 30_000;

/** Finds a key's row by the sha256 of the key. */
export interface ApiKeyRows {
  byHash(hash: string): Promise<ApiKey | null>;
}

const uncachedApiKeyRows = (db: Db): ApiKeyRows => ({ byHash: (hash) => db.apiKey.findUnique({ where: { hash } }) });

export class ApiKeyCache implements ApiKeyRows {
  private readonly rows: ApiKeyRows;
  private readonly listener: NotificationListener;
  private readonly cache: NotifiedCache<ApiKey>;

  constructor(db: Db, databaseUrl: string) {
    this.rows = uncachedApiKeyRows(db);
    this.cache = new NotifiedCache(TTL_MS, () => this.listener.start());
    const { changed, listening, lost } = this.cache.watcher;
    this.listener = new NotificationListener(databaseUrl, API_KEY_CHANNEL, { notification: changed, listening, lost });
  }

  byHash(hash: string): Promise<ApiKey | null> {
    return this.cache.get(hash, () => this.rows.byHash(hash));
  }

  /** Drops every entry; also for a key change this process made, whose NOTIFY arrives after the answer. */
  flush(): void {
    this.cache.flush();
  }

  close(): Promise<void> {
    return this.listener.close();
  }
}
