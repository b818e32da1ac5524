// The probes the manifests point the kubelet at (deploy/*.yaml): the API's /healthz and /readyz and a
// worker's /healthz answer fixed codes and never a dependency's error text, which goes to the log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { Gauge } from 'prom-client';
import { buildApp } from '../../src/app.ts';
import { startMetricsServer } from '../../src/metrics/server.ts';
import { processRegistry } from '../../src/metrics/registry.ts';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';

const SECRET = 'connect ECONNREFUSED 10.9.8.7:5432 password=hunter2 bucket=tenant-secrets';
const LEAK = /ECONNREFUSED|10\.9\.8\.7|hunter2|tenant-secrets/;

/** Log lines written to memory, as JSON text. */
function capturedLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('probes answer safe codes only', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => env.close());

  it('API: /readyz names the failing dependency, the error text goes to the log only; /healthz stays {status: ok}', async () => {
    const log = capturedLog();
    const app = await buildApp(env.services, { logger: { level: 'warn', stream: log.stream } });
    await app.ready();
    const originalQuery = env.services.pool.query;
    const originalPing = env.services.blobs.ping;
    env.services.pool.query = (() => Promise.reject(new Error(SECRET))) as unknown as typeof originalQuery;
    env.services.blobs.ping = () => Promise.reject(new Error(SECRET));
    try {
      const ready = await request(app.server).get('/readyz').expect(503);
      assert.deepEqual(ready.body, { status: 'unavailable', postgres: 'unavailable', s3: 'unavailable' });
      assert.doesNotMatch(ready.text, LEAK);
      const health = await request(app.server).get('/healthz').expect(200);
      assert.equal(health.text, '{"status":"ok"}');
    } finally {
      env.services.pool.query = originalQuery;
      env.services.blobs.ping = originalPing;
      await app.close();
    }
    const failures = log.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'readiness check failed');
    assert.deepEqual(failures.map((l) => l.dependency).sort(), ['postgres', 's3']);
    assert.ok(failures.every((l) => l.err.message === SECRET), 'the log keeps the details');
  });

  it('worker listener: /healthz answers from memory, a failing /metrics answers a fixed code and logs why', async () => {
    const log = capturedLog();
    const server = await startMetricsServer(0, '127.0.0.1', pino({ level: 'error' }, log.stream));
    const failingName = 'simsiam_test_failing_collector';
    new Gauge({
      name: failingName,
      help: 'a collector that throws, as one reading a lost dependency would',
      registers: [processRegistry],
      collect() {
        throw new Error(SECRET);
      },
    });
    const base = `http://127.0.0.1:${server.port}`;
    try {
      assert.equal((await request(base).get('/healthz').expect(200)).text, '{"status":"ok"}');
      const res = await request(base).get('/metrics').expect(500);
      assert.deepEqual(res.body, { error: { code: 'METRICS_FAILED', message: 'metrics could not be collected' } });
      assert.doesNotMatch(res.text, LEAK);
      const logged = log.lines.map((l) => JSON.parse(l));
      assert.equal(logged.length, 1);
      assert.equal(logged[0].err.message, SECRET);
      processRegistry.removeSingleMetric(failingName);
      await request(base).get('/metrics').expect(200);
      const other = await request(base).post('/healthz').expect(404);
      assert.equal(other.body.error.code, 'NOT_FOUND');
    } finally {
      processRegistry.removeSingleMetric(failingName);
      await server.close();
    }
  });
});
