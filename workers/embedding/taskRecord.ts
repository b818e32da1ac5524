// The row of an embedding set or evaluation as a worker drives it: queued → running → succeeded |
// failed. Both tables share these columns, so one record serves both queues.
import type pg from 'pg';
import { NOW_UTC } from '../../src/db/transaction.ts';
import { RETRY_LIMIT } from '../../src/queue/boss.ts';
import { JobFailure } from '../training/jobRecord.ts';

export type TaskTable = 'embedding_sets' | 'evaluations';

export function taskRecord(pool: pg.Pool, table: TaskTable, id: string) {
  const set = async (assignments: string, values: unknown[] = []) => {
    await pool.query(`UPDATE ${table} SET ${assignments} WHERE id = $1`, [id, ...values]);
  };
  return {
    start: () => set(`status = 'running', started_at = COALESCE(started_at, ${NOW_UTC})`),
    /** `assignments` may set more columns from `values` ($2, $3, ...) */
    succeed: (assignments: string, values: unknown[]) => set(`status = 'succeeded', finished_at = ${NOW_UTC}, ${assignments}`, values),
    fail: (code: string, message: string) => set(`status = 'failed', error = $2, finished_at = ${NOW_UTC}`, [JSON.stringify({ code, message })]),
  };
}

type TaskRecord = ReturnType<typeof taskRecord>;

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
