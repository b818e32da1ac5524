// Appends to a job's metrics series. Points are keyed by step; a later write at the same step (the
// epoch summary after the last step's report) merges into it; their dip events add up.
import type pg from 'pg';
import type { DipEvent } from './dipDetector.ts';

export type MetricValues = Record<string, number | boolean | null | DipEvent[]>;

export async function writeMetricPoint(pool: pg.Pool, jobId: string, epoch: number, step: number, values: MetricValues) {
  await pool.query(
    `INSERT INTO metric_points (job_id, epoch, step, values) VALUES ($1, $2, $3, $4)
     ON CONFLICT (job_id, step) DO UPDATE SET values = metric_points.values || EXCLUDED.values
       || CASE WHEN metric_points.values ? 'events' AND EXCLUDED.values ? 'events'
          THEN jsonb_build_object('events', (metric_points.values -> 'events') || (EXCLUDED.values -> 'events'))
          ELSE '{}'::jsonb END`,
    [jobId, epoch, step, JSON.stringify(values)],
  );
}

/** Forgets points a crashed attempt wrote after the checkpoint we resume from (no double counting). */
export async function dropMetricsAfter(pool: pg.Pool, jobId: string, step: number) {
  await pool.query('DELETE FROM metric_points WHERE job_id = $1 AND step > $2', [jobId, step]);
}
