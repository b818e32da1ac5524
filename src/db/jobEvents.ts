// Job change notifications across processes: a worker (any machine) NOTIFYs after it writes a job's
// status or progress; every API replica LISTENs and fans the id out to GraphQL subscribers.
// The LISTEN connection can die (PostgreSQL restart, failover, an idle-killer): notifications sent
// meanwhile are lost, so the connection is re-made with backoff and every subscriber is called once
// to re-read what it follows.
import { EventEmitter } from 'node:events';
import type pg from 'pg';

const CHANNEL = 'simsiam_job_updated';
const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 30_000;

export class JobEvents {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private listener?: Promise<pg.PoolClient>;
  private client?: pg.PoolClient;
  private closed = false;

  constructor(private readonly pool: pg.Pool) {}

  /** Tells every listening process that job `jobId` changed. */
  async notify(jobId: string, client: Pick<pg.Pool, 'query'> = this.pool): Promise<void> {
    await client.query('SELECT pg_notify($1, $2)', [CHANNEL, jobId]);
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
      if (msg.channel === CHANNEL && msg.payload) this.emitter.emit(msg.payload);
    });
    try {
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      client.release(true);
      throw err;
    }
    this.client = client;
    return client;
  }

  private lost(client: pg.PoolClient): void {
    if (this.client !== client) return; // 'error' and 'end' both fire for one loss
    this.client = undefined;
    this.listener = undefined;
    client.release(true);
    this.reconnect(RECONNECT_FIRST_MS);
  }

  private reconnect(delayMs: number): void {
    if (this.closed || this.emitter.eventNames().length === 0) return;
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
    const listener = this.listener;
    this.listener = undefined;
    this.client = undefined;
    if (listener) (await listener.catch(() => undefined))?.release(true);
  }
}
