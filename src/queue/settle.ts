// Settling a claimed queue message together with the row it carries. pg-boss completes a message
// only after the handler returns, on a connection of its own: a PostgreSQL restart between the two
// left a finished row beside a message still 'active', to lapse and be delivered again. Here the
// row's final write and the completion commit in one transaction, retried until acknowledged.
import type pg from 'pg';
import type { Logger } from 'pino';
import type { PgBoss } from 'pg-boss';
import { isTransientDbError, withTransaction } from '../db/transaction.ts';
import { withRetries, type RetryOptions } from '../storage/retry.ts';
import { inTransaction, type QueueName } from './boss.ts';

/** A worker's claim on one delivery of a queue message; pg-boss fences settles to this attempt. */
export interface QueueClaim {
  queue: QueueName;
  /** the pg-boss message id */
  id: string;
  retryCount: number;
}

// waits out a restart or a failover (0.5 s doubling to 15 s, about two minutes in all); after that
// the handler throws and the claim is left to lapse
const SETTLE_RETRIES: RetryOptions = { retries: 12, baseDelayMs: 500, maxDelayMs: 15_000, retryable: isTransientDbError };

/**
 * Runs `write` and completes the claim's message in one transaction, again after a lost connection
 * until PostgreSQL acknowledges it. `write` must be idempotent: a commit whose answer was lost runs
 * again. A message the claim no longer holds (its heartbeat lapsed, it was cancelled) is left as it is.
 */
export async function settleClaim<T>(
  deps: { pool: pg.Pool; boss: PgBoss; log?: Pick<Logger, 'warn'> },
  claim: QueueClaim,
  write: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return withRetries(
    () =>
      withTransaction(deps.pool, async (client) => {
        const result = await write(client);
        await deps.boss.complete(claim.queue, { id: claim.id, retryCount: claim.retryCount }, null, inTransaction(client));
        return result;
      }),
    {
      ...SETTLE_RETRIES,
      onRetry: (err, attempt, delayMs) => deps.log?.warn({ err, queue: claim.queue, message: claim.id, attempt, delayMs }, 'settling a claim: database unavailable, retrying'),
    },
  );
}
