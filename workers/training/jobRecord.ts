// The job row's lifecycle as one claim of its queue message drives it. Every write NOTIFYs at commit
// (a trigger on jobs), so GraphQL subscribers on any API replica see it. The transitions that end the claim (the
// job final, or handed back to the queue) complete its message in the same transaction.
import type { Logger } from 'pino';
import type { Services } from '../../src/services.ts';
import type { Prisma } from '../../src/db/client.ts';
import { enqueue, QUEUES, type QueueMessage } from '../../src/queue/boss.ts';
import { priorityOf } from '../../src/queue/fairness.ts';
import { settleClaim, type QueueClaim } from '../../src/queue/settle.ts';
import { NOW_UTC } from '../../src/db/transaction.ts';
import type { JobStatus } from '../../src/domain/jobs.ts';

/** A failure that retrying cannot fix: the job ends `failed` with this code. */
export class JobFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function jobRecord(services: Services, jobId: string, claim: QueueClaim, log: Pick<Logger, 'warn'>) {
  const { db, pool } = services;
  const settleDeps = { ...services, log };
  const write = async (data: Prisma.JobUpdateInput) => {
    await db.job.update({ where: { id: jobId }, data });
  };
  /** The job's final state; its message completed with it. */
  const finish = (status: JobStatus, set: { progress?: Prisma.InputJsonValue; error?: { code: string; message: string } } = {}) =>
    settleClaim(settleDeps, claim, async (client) => {
      await client.query(
        `UPDATE jobs SET status = $2, progress = COALESCE($3::jsonb, progress), error = COALESCE($4::jsonb, error),
           finished_at = ${NOW_UTC}, updated_at = ${NOW_UTC} WHERE id = $1`,
        [jobId, status, set.progress === undefined ? null : JSON.stringify(set.progress), set.error ? JSON.stringify(set.error) : null],
      );
    });
  return {
    load: () => db.job.findUnique({ where: { id: jobId } }),
    /**
     * Marks the claim running; false when the job was cancelled in the meantime or another queue
     * message owns it now (then this claim must not run).
     */
    async start(workerId: string, backend: string, resumedFromEpoch: number | null): Promise<boolean> {
      const { rowCount } = await pool.query(
        `UPDATE jobs SET status = 'running', worker_id = $2, backend = $3, attempts = attempts + 1,
           resumed_from_epoch = $4, started_at = COALESCE(started_at, ${NOW_UTC}), updated_at = ${NOW_UTC}
         WHERE id = $1 AND status IN ('queued', 'running') AND cancel_requested_at IS NULL
           AND (queue_job_id IS NULL OR queue_job_id = $5)`,
        [jobId, workerId, backend, resumedFromEpoch, claim.id],
      );
      return rowCount === 1;
    },
    progress: (progress: Prisma.InputJsonValue) => write({ progress }),
    /** The config with a budget's plan (epochs and budgetPlan), echoed to clients from now on. */
    replanned: (config: object) => write({ config: config as Prisma.InputJsonValue }),
    succeed: (progress: Prisma.InputJsonValue) => finish('succeeded', { progress }),
    fail: (code: string, message: string) => finish('failed', { error: { code, message } }),
    cancelled: () => finish('cancelled'),
    async cancelRequested(): Promise<boolean> {
      const row = await db.job.findUnique({ where: { id: jobId }, select: { cancelRequestedAt: true, status: true } });
      return !row || row.cancelRequestedAt !== null || row.status === 'cancelled';
    },
    /**
     * Hands the job back to the queue (preemption, the queue's 24 h claim cap, or a failed attempt with
     * `startAfterSeconds` of backoff), in its fair-scheduling place. Only the claim that owns the job
     * may: false (and nothing enqueued) when another message has taken it over.
     */
    async requeue(message: Omit<QueueMessage, 'id'>, startAfterSeconds?: number): Promise<boolean> {
      // idempotent when retried: a committed hand-back has moved queue_job_id on
      return settleClaim(settleDeps, claim, async (client) => {
        const { rows } = await client.query<{ queue_job_id: string | null; queue_tag: number | null }>(
          'SELECT queue_job_id, queue_tag FROM jobs WHERE id = $1 FOR UPDATE',
          [jobId],
        );
        const row = rows[0];
        if (!row || (row.queue_job_id !== null && row.queue_job_id !== claim.id)) return false;
        const queueJobId = await enqueue(services.boss, QUEUES.train, { ...message, id: jobId }, client, row.queue_tag === null ? undefined : priorityOf(row.queue_tag), startAfterSeconds);
        await client.query(`UPDATE jobs SET status = 'queued', worker_id = NULL, queue_job_id = $2, updated_at = ${NOW_UTC} WHERE id = $1`, [jobId, queueJobId]);
        return true;
      });
    },
  };
}

