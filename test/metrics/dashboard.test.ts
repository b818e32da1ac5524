// deploy/grafana-dashboard.json must only query series the service exports: a renamed metric
// breaks this test instead of leaving an empty panel.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { processRegistry } from '../../src/metrics/registry.ts';
import { databaseGauges } from '../../src/metrics/database.ts';
import '../../src/metrics/http.ts';
import '../../src/metrics/training.ts';
import '../../src/metrics/worker.ts';
import '../../src/metrics/s3.ts';
import '../../src/metrics/postgres.ts';

const DASHBOARD = path.join(import.meta.dirname, '..', '..', 'deploy', 'grafana-dashboard.json');

describe('deploy/grafana-dashboard.json', () => {
  it('queries only metrics the service exports', () => {
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: { targets?: Array<{ expr: string }> }) => (p.targets ?? []).map((t) => t.expr));
    assert.ok(exprs.length >= 10);
    // gauges built for a pool only query it on refresh, which this test never calls
    const database = databaseGauges({} as pg.Pool).registry;
    const exported = new Set([...processRegistry.getMetricsAsArray(), ...database.getMetricsAsArray()].map((m) => m.name));
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\bsimsiam_\w+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''))));
    const unknown = [...used].filter((name) => !exported.has(name));
    assert.deepEqual(unknown, []);
    for (const name of ['simsiam_jobs', 'simsiam_queue_depth', 'simsiam_training_images_per_second', 'simsiam_s3_errors_total', 'simsiam_worker_heartbeat_timestamp_seconds']) {
      assert.ok(used.has(name), `a panel shows ${name}`);
    }
  });
});
