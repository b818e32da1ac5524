// Queue messages whose row is already final (or gone) are completed without running anything. A
// final write commits with its message's completion (src/queue/settle.ts), but a delivery that finds
// its row final has nothing to write and leaves its completion to pg-boss, which a lost connection
// can drop; messages left active by older workers, and messages of deleted rows, end here too.
import type { Services } from '../src/services.ts';
import { QUEUES, type QueueName } from '../src/queue/boss.ts';
import { FINISHED_JOB_STATUSES } from '../src/domain/jobs.ts';
import { FINISHED_TASK_STATUSES } from '../src/domain/embeddings.ts';

const ROWS: Record<QueueName, { table: string; finished: readonly string[] }> = {
  [QUEUES.train]: { table: 'jobs', finished: FINISHED_JOB_STATUSES },
  [QUEUES.embed]: { table: 'embedding_sets', finished: FINISHED_TASK_STATUSES },
  [QUEUES.probe]: { table: 'evaluations', finished: FINISHED_TASK_STATUSES },
};
const UNSETTLED = ['created', 'retry', 'active'];
const BATCH = 1000;

/** One pass over every queue; returns how many messages it found to complete. */
export async function reconcileQueues({ pool, boss }: Pick<Services, 'pool' | 'boss'>): Promise<number> {
  let found = 0;
  for (const [queue, { table, finished }] of Object.entries(ROWS)) {
    const { rows } = await pool.query<{ id: string }>(
      `SELECT q.id FROM pgboss.job q LEFT JOIN ${table} r ON r.id = q.data->>'id'
        WHERE q.name = $1 AND q.state::text = ANY($2) AND (r.id IS NULL OR r.status = ANY($3))
        LIMIT ${BATCH}`,
      [queue, UNSETTLED, finished],
    );
    if (!rows.length) continue;
    // includeQueued: a waiting message is completed too, rather than delivered to be dropped
    await boss.complete(queue, rows.map((r) => r.id), { reconciled: true }, { includeQueued: true });
    found += rows.length;
  }
  return found;
}
