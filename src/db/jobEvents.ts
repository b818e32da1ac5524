// Change notifications across processes: a trigger on jobs NOTIFYs a job's id at the commit of every
// change to its row (prisma/migrations/*_job_change_notify), and the service NOTIFYs an experiment's
// id when it writes one; every API replica LISTENs and fans the id out to GraphQL subscribers.
// Watchers (the job-view cache) hear every id first, before any subscriber re-reads.
// The LISTEN connection can die (PostgreSQL restart, failover, an idle-killer): notifications sent
// meanwhile are lost, so the connection is re-made with backoff, watchers are told it was lost, and
// every subscriber is called once to re-read what it follows.
import { EventEmitter } from 'node:events';
import type pg from 'pg';

const CHANNEL = 'simsiam_job_updated';

/** Hears every changed id, and whether the LISTEN is in force (ids sent while it is not are lost). */
export interface ChangeWatcher {
  /** `id` changed; '*' for all of them */
  changed(id: string): void;
  listening(): void;
  lost(): void;
}
const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 30_000;

export class JobEvents {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly watchers = new Set<ChangeWatcher>();
  private listener?: Promise<pg.PoolClient>;
  private client?: pg.PoolClient;
  private closed = false;

  constructor(private readonly pool: pg.Pool) {}

  /** Tells every listening process that `id` (an experiment: job rows notify by trigger) changed. */
  async notify(id: string, client: Pick<pg.Pool, 'query'> = this.pool): Promise<void> {
    await client.query('SELECT pg_notify($1, $2)', [CHANNEL, id]);
  }

  /** Tells this process's watchers at once about a change it committed, whose NOTIFY arrives later. */
  changedHere(id: string): void {
    for (const watcher of this.watchers) watcher.changed(id);
  }

  /** Adds a watcher and starts listening; `listening()` tells it when the LISTEN is in force. */
  watch(watcher: ChangeWatcher): void {
    this.watchers.add(watcher);
    if (this.client) watcher.listening();
    else this.listen().catch(() => this.reconnect(RECONNECT_FIRST_MS));
  }

  /** Calls `onChange` whenever `jobId` changes (or may have: after a reconnect); returns the unsubscribe function. */
  async subscribe(jobId: string, onChange: () => void): Promise<() => void> {
    await this.listen();
    this.emitter.on(jobId, onChange);
    return () => this.emitter.off(jobId, onChange);
  }

  private listen(): Promise<pg.PoolClient> {
    this.listener ??= this.connect().catch((err: unknown) => {
      this.listener = undefined; // the next subscribe tries again
      throw err;
    });
    return this.listener;
  }

  private async connect(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    // without an 'error' listener a dropped connection would crash the process
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      for (const watcher of this.watchers) watcher.changed(msg.payload);
      this.emitter.emit(msg.payload);
    });
    try {
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      client.release(true);
      throw err;
    }
    this.client = client;
    for (const watcher of this.watchers) watcher.listening();
    return client;
  }

  private lost(client: pg.PoolClient): void {
    if (this.client !== client) return; // 'error' and 'end' both fire for one loss
    this.client = undefined;
    this.listener = undefined;
    for (const watcher of this.watchers) watcher.lost();
    client.release(true);
    this.reconnect(RECONNECT_FIRST_MS);
  }

  private reconnect(delayMs: number): void {
    if (this.closed || (this.emitter.eventNames().length === 0 && this.watchers.size === 0)) return;
    setTimeout(() => {
      this.listen().then(
        () => {
          for (const jobId of this.emitter.eventNames()) this.emitter.emit(jobId);
        },
        () => this.reconnect(Math.min(delayMs * 2, RECONNECT_MAX_MS)),
      );
    }, delayMs).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const watcher of this.watchers) watcher.lost();
    const listener = this.listener;
    this.listener = undefined;
    this.client = undefined;
    if (listener) (await listener.catch(() => undefined))?.release(true);
  }
}
