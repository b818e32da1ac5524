// Gauges read from PostgreSQL when the API is scraped: jobs by status, pg-boss queue depth and the
// age of its oldest waiting entry, and worker heartbeats (the queue's per-claim heartbeat, and each
// training worker's last progress write). Two grouped queries per scrape; a registry per API
// instance, since the pool is the instance's.
import type pg from 'pg';
import { Gauge, Registry } from 'prom-client';
import { JOB_STATUSES } from '../domain/jobs.ts';
import { QUEUES } from '../queue/boss.ts';
import { countPostgresError } from './postgres.ts';

const WAITING = ['created', 'retry'];

export function databaseGauges(pool: pg.Pool) {
  const registry = new Registry();
  const registers = [registry];
  const jobs = new Gauge({ name: 'simsiam_jobs', help: 'Training jobs by status', labelNames: ['status'], registers });
  const queueDepth = new Gauge({ name: 'simsiam_queue_depth', help: 'pg-boss entries waiting (created or retry) or active, by queue', labelNames: ['queue', 'state'], registers });
  const queueAge = new Gauge({ name: 'simsiam_queue_oldest_waiting_seconds', help: 'Age of the oldest waiting pg-boss entry, by queue (0 when none waits)', labelNames: ['queue'], registers });
  const heartbeatAge = new Gauge({
    name: 'simsiam_queue_heartbeat_age_seconds',
    help: 'Longest time since an active claim last heart-beat, by queue (0 when none is active)',
    labelNames: ['queue'],
    registers,
  });
  const progressAge = new Gauge({
    name: 'simsiam_worker_last_progress_age_seconds',
    help: 'Seconds since each worker with a running training job last wrote its progress',
    labelNames: ['worker'],
    registers,
  });
  const up = new Gauge({ name: 'simsiam_metrics_database_up', help: '1 when the last scrape could read PostgreSQL', registers });

  async function refresh() {
    try {
      const [statuses, queues] = await Promise.all([
        pool.query<{ status: string; n: number; worker_ages: Record<string, number> | null }>(
          `SELECT status, count(*)::int AS n,
             jsonb_object_agg(worker_id, EXTRACT(EPOCH FROM now() - updated_at)) FILTER (WHERE status = 'running' AND worker_id IS NOT NULL) AS worker_ages
           FROM jobs GROUP BY status`,
        ),
        pool.query<{ name: string; waiting: number; active: number; oldest: number; heartbeat: number }>(
          `SELECT name,
             count(*) FILTER (WHERE state::text = ANY($2))::int AS waiting,
             count(*) FILTER (WHERE state::text = 'active')::int AS active,
             COALESCE(EXTRACT(EPOCH FROM now() - min(created_on) FILTER (WHERE state::text = ANY($2))), 0)::float8 AS oldest,
             COALESCE(EXTRACT(EPOCH FROM now() - min(heartbeat_on) FILTER (WHERE state::text = 'active')), 0)::float8 AS heartbeat
           FROM pgboss.job WHERE name = ANY($1) AND state::text = ANY($3) GROUP BY name`,
          [Object.values(QUEUES), WAITING, [...WAITING, 'active']],
        ),
      ]);
      for (const g of [jobs, queueDepth, queueAge, heartbeatAge, progressAge]) g.reset();
      for (const status of JOB_STATUSES) jobs.set({ status }, 0);
      for (const queue of Object.values(QUEUES)) {
        for (const g of [queueAge, heartbeatAge]) g.set({ queue }, 0);
        for (const state of ['waiting', 'active']) queueDepth.set({ queue, state }, 0);
      }
      for (const row of statuses.rows) {
        jobs.set({ status: row.status }, row.n);
        for (const [worker, age] of Object.entries(row.worker_ages ?? {})) progressAge.set({ worker }, Number(age));
      }
      for (const row of queues.rows) {
        queueDepth.set({ queue: row.name, state: 'waiting' }, row.waiting);
        queueDepth.set({ queue: row.name, state: 'active' }, row.active);
        queueAge.set({ queue: row.name }, row.oldest);
        heartbeatAge.set({ queue: row.name }, row.heartbeat);
      }
      up.set(1);
    } catch (err) {
      countPostgresError('metrics', err);
      up.set(0);
    }
  }

  return { registry, refresh };
}
