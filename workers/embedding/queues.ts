// The embed and probe queues of a worker: one task at a time per queue, failures recorded on the
// task's row (final) or retried by the queue (transient).
import { QUEUES, type QueueMessage, type QueueName } from '../../src/queue/boss.ts';
import { runEvaluation } from '../evaluation/runEvaluation.ts';
import { runEmbedding } from './runEmbedding.ts';
import type { TaskContext } from './context.ts';
import { runTask, taskRecord, type TaskRecord, type TaskTable } from './taskRecord.ts';
import { advanceExperiments } from '../../src/domain/experimentState.ts';

interface TaskQueue {
  queue: QueueName;
  table: TaskTable;
  run: (ctx: TaskContext, id: string, record: TaskRecord) => Promise<void>;
  /** after each attempt, its outcome recorded */
  then?: (ctx: TaskContext, id: string) => Promise<void>;
}

const TASKS: TaskQueue[] = [
  { queue: QUEUES.embed, table: 'embedding_sets', run: runEmbedding },
  { queue: QUEUES.probe, table: 'evaluations', run: runEvaluation, then: (ctx, id) => advanceExperiments(ctx.services, ctx.log, { evaluationId: id }) },
];

/** Starts consuming; the returned function stops, waiting for running tasks. */
export async function startTaskQueues(ctx: TaskContext): Promise<() => Promise<void>> {
  const { boss } = ctx.services;
  for (const { queue, table, run, then } of TASKS) {
    await boss.work<QueueMessage>(queue, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
      const record = taskRecord({ ...ctx.services, log: ctx.log }, table, job.data.id, { queue, id: job.id, retryCount: job.retryCount });
      try {
        await runTask(record, job.retryCount, () => run(ctx, job.data.id, record), (err, final) =>
          ctx.log[final ? 'warn' : 'error']({ err, queue, id: job.data.id, retry: job.retryCount }, final ? 'task failed' : 'task attempt failed, will retry'),
        );
      } finally {
        await then?.(ctx, job.data.id);
      }
    });
  }
  return async () => {
    for (const { queue } of TASKS) await boss.offWork(queue, { wait: true });
  };
}
