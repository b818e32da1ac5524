// The PostgreSQL-backed job queue (pg-boss). The queue only carries ids; the truth about a job
// (status, progress, attempts) lives in our own tables.
import { PgBoss } from 'pg-boss';
import type pg from 'pg';
import { countPostgresError } from '../metrics/postgres.ts';

export const QUEUES = {
  train: 'train',
  embed: 'embed',
  probe: 'probe',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface QueueMessage {
  /** our job / embedding-set / evaluation id */
  id: string;
}

// A worker proves it is alive every heartbeat/2 seconds; a job whose heartbeat lapses (SIGKILL, lost
// node) goes back to the queue and is resumed from its last checkpoint by the next worker. Training
// runs on its own thread, so heartbeats are never starved by a long step.
const heartbeatSeconds = () => Math.max(10, Number(process.env.QUEUE_HEARTBEAT_SECONDS) || 20);
// pg-boss caps a claim at 24 h; longer trainings checkpoint and re-enqueue themselves.
export const MAX_CLAIM_SECONDS = 23 * 3600;
// transient failures (S3, database, a crashed worker) are retried this often, with backoff
export const RETRY_LIMIT = 50;

export async function startQueue(databaseUrl: string, opts: { supervise?: boolean } = {}): Promise<PgBoss> {
  // the monitor pass is what notices a lapsed heartbeat: run it as often as heartbeats are due
  const supervise = heartbeatSeconds();
  const boss = new PgBoss({
    connectionString: databaseUrl,
    max: 4,
    supervise: opts.supervise ?? true,
    superviseIntervalSeconds: supervise,
    monitorIntervalSeconds: supervise,
  });
  boss.on('error', (err) => countPostgresError('queue', err));
  await boss.start();
  for (const name of Object.values(QUEUES)) {
    await boss.createQueue(name, {
      heartbeatSeconds: heartbeatSeconds(),
      expireInSeconds: MAX_CLAIM_SECONDS,
      retryLimit: RETRY_LIMIT,
      retryDelay: 2,
      retryBackoff: true,
      retryDelayMax: 60,
    });
  }
  return boss;
}

/** Runs pg-boss statements on a client that holds an open transaction of ours. */
export function inTransaction(client: pg.PoolClient) {
  return { db: { executeSql: (text: string, values?: unknown[]) => client.query(text, values as unknown[]) } };
}

/** `priority`: higher is served first (pg-boss orders by priority, then age); see fairness.ts. */
export async function enqueue(boss: PgBoss, queue: QueueName, message: QueueMessage, client?: pg.PoolClient, priority?: number) {
  const id = await boss.send(queue, message, { ...(client && inTransaction(client)), ...(priority !== undefined && { priority }) });
  if (!id) throw new Error(`queue ${queue} refused message for ${message.id}`);
  return id;
}
