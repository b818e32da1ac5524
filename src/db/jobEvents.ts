// Job change notifications across processes: a worker (any machine) NOTIFYs after it writes a job's
// status or progress; every API replica LISTENs and fans the id out to GraphQL subscribers.
import { EventEmitter } from 'node:events';
import type pg from 'pg';

const CHANNEL = 'simsiam_job_updated';

export class JobEvents {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private listener?: Promise<pg.PoolClient>;

  constructor(private readonly pool: pg.Pool) {}

  /** Tells every listening process that job `jobId` changed. */
  async notify(jobId: string, client: Pick<pg.Pool, 'query'> = this.pool): Promise<void> {
    await client.query('SELECT pg_notify($1, $2)', [CHANNEL, jobId]);
  }

  /** Calls `onChange` whenever `jobId` changes; returns the unsubscribe function. */
  async subscribe(jobId: string, onChange: () => void): Promise<() => void> {
    await this.listen();
    this.emitter.on(jobId, onChange);
    return () => this.emitter.off(jobId, onChange);
  }

  private listen(): Promise<pg.PoolClient> {
    this.listener ??= (async () => {
      const client = await this.pool.connect();
      client.on('notification', (msg) => {
        if (msg.channel === CHANNEL && msg.payload) this.emitter.emit(msg.payload);
      });
      await client.query(`LISTEN ${CHANNEL}`);
      return client;
    })();
    return this.listener;
  }

  async close(): Promise<void> {
    if (!this.listener) return;
    const client = await this.listener;
    this.listener = undefined;
    client.release(true);
  }
}
