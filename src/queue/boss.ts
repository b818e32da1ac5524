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
  /** training: failed attempts so far (preemptions do not count) */
  failures?: number;
}

// A worker proves it is alive every heartbeat/4 seconds; a job whose heartbeat lapses (SIGKILL, lost
// node) goes back to the queue and is resumed from its last checkpoint by the next worker. Training
// runs on its own thread, so heartbeats are never starved by a long step.
export const heartbeatSeconds = () => Math.max(10, Number(process.env.QUEUE_HEARTBEAT_SECONDS) || 20);
export const heartbeatRefreshSeconds = () => heartbeatSeconds() / 4;
// pg-boss caps a claim at 24 h; longer trainings checkpoint and re-enqueue themselves.
export const MAX_CLAIM_SECONDS = 23 * 3600;
// transient failures (S3, database) of embedding and probe tasks are retried this often, with backoff
export const RETRY_LIMIT = 50;
// A training job's lapsed claim is a preemption, not a failure: pg-boss hands it to the next worker at
// once, without backoff. Failing training attempts never reach pg-boss's retries: the worker counts
// them in the message and re-enqueues with its own backoff (workers/training/attempts.ts). This only
// bounds a job that keeps killing its workers.
export const TRAIN_CLAIM_LIMIT = 200;

export async function startQueue(databaseUrl: string, opts: { supervise?: boolean } = {}): Promise<PgBoss> {
  // the monitor pass is what notices a lapsed heartbeat: run it several times per heartbeat, so a
  // preempted job waits for the lapse itself, not for the next pass
  const supervise = Math.max(1, Math.floor(heartbeatSeconds() / 4));
  const boss = new PgBoss({
    connectionString: databaseUrl,
    max: 4,
    supervise: opts.supervise ?? true,
    superviseIntervalSeconds: supervise,
    monitorIntervalSeconds: supervise,
  });
  boss.on('error', (err) => countPostgresError('queue', err));
  await boss.start();
  const common = { heartbeatSeconds: heartbeatSeconds(), expireInSeconds: MAX_CLAIM_SECONDS };
  for (const name of Object.values(QUEUES)) {
    const options =
      name === QUEUES.train
        ? { ...common, retryLimit: TRAIN_CLAIM_LIMIT, retryDelay: 0, retryBackoff: false }
        : { ...common, retryLimit: RETRY_LIMIT, retryDelay: 2, retryBackoff: true, retryDelayMax: 60 };
    // createQueue leaves an existing queue as it is: the update carries changed options to it
    await boss.createQueue(name, options);
    await boss.updateQueue(name, options);
  }
  return boss;
}

/** Runs pg-boss statements on a client that holds an open transaction of ours. */
export function inTransaction(client: pg.PoolClient) {
  return { db: { executeSql: (text: string, values?: unknown[]) => client.query(text, values as unknown[]) } };
}

/** `priority`: higher is served first (pg-boss orders by priority, then age); see fairness.ts. */
export async function enqueue(
  boss: PgBoss,
  queue: QueueName,
  message: QueueMessage,
  client?: pg.PoolClient,
  priority?: number,
  startAfterSeconds?: number,
) {
  const id = await boss.send(queue, message, {
    ...(client && inTransaction(client)),
    ...(priority !== undefined && { priority }),
    ...(startAfterSeconds && { startAfter: startAfterSeconds }),
  });
  if (!id) throw new Error(`queue ${queue} refused message for ${message.id}`);
  return id;
}
