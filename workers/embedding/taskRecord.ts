// The row of an embedding set or evaluation as one claim of its queue message drives it: queued →
// running → succeeded | failed. Both tables share these columns, so one record serves both queues.
// The final state and the completion of the message commit together (src/queue/settle.ts).
import type pg from 'pg';
import type { Logger } from 'pino';
import type { PgBoss } from 'pg-boss';
import { NOW_UTC } from '../../src/db/transaction.ts';
import { RETRY_LIMIT } from '../../src/queue/boss.ts';
import { settleClaim, type QueueClaim } from '../../src/queue/settle.ts';
import { JobFailure } from '../training/jobRecord.ts';

export type TaskTable = 'embedding_sets' | 'evaluations';

export function taskRecord(deps: { pool: pg.Pool; boss: PgBoss; log: Pick<Logger, 'warn'> }, table: TaskTable, id: string, claim: QueueClaim) {
  const set = async (client: Pick<pg.Pool, 'query'>, assignments: string, values: unknown[] = []) => {
    await client.query(`UPDATE ${table} SET ${assignments} WHERE id = $1`, [id, ...values]);
  };
  const finish = (assignments: string, values: unknown[]) => settleClaim(deps, claim, (client) => set(client, assignments, values));
  return {
    start: () => set(deps.pool, `status = 'running', started_at = COALESCE(started_at, ${NOW_UTC})`),
    /** `assignments` may set more columns from `values` ($2, $3, ...) */
    succeed: (assignments: string, values: unknown[]) => finish(`status = 'succeeded', finished_at = ${NOW_UTC}, ${assignments}`, values),
    fail: (code: string, message: string) => finish(`status = 'failed', error = $2, finished_at = ${NOW_UTC}`, [JSON.stringify({ code, message })]),
  };
}

export type TaskRecord = ReturnType<typeof taskRecord>;

/**
 * Runs one queue delivery of a task: a JobFailure ends it `failed`; anything else is transient and
 * rethrown for the queue to retry, until the retries run out.
 */
export async function runTask(record: TaskRecord, retryCount: number, run: () => Promise<void>, onError: (err: unknown, final: boolean) => void) {
  try {
    await run();
  } catch (err) {
    if (err instanceof JobFailure) {
      onError(err, true);
      return record.fail(err.code, err.message);
    }
    if (retryCount >= RETRY_LIMIT) {
      onError(err, true);
      return record.fail('RETRIES_EXHAUSTED', `gave up after ${retryCount + 1} attempts: ${(err as Error).message}`);
    }
    onError(err, false);
    throw err;
  }
}
