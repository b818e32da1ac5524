import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';

describe('health and errors', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => env.close());

  /** Waits out the readiness result's lifetime, so the next probe checks again. */
  const nextReadinessCheck = () => new Promise((resolve) => setTimeout(resolve, 1100));

  it('GET /readyz answers 200 when PostgreSQL and S3 answer', async () => {
    const res = await request(env.app.server).get('/readyz').expect(200);
    assert.deepEqual(res.body, { status: 'ok', postgres: 'ok', s3: 'ok' });
  });

  it('GET /readyz answers 503 naming S3 when it is gone, without its error message, and /healthz stays 200', async () => {
    const original = env.services.blobs.ping;
    let pings = 0;
    env.services.blobs.ping = async () => {
      pings++;
      throw new Error('connect ECONNREFUSED 10.1.2.3:9000 (bucket secret-bucket)');
    };
    try {
      await nextReadinessCheck();
      const started = performance.now();
      const res = await request(env.app.server).get('/readyz').expect(503);
      assert.deepEqual(res.body, { status: 'unavailable', postgres: 'ok', s3: 'unavailable' });
      assert.doesNotMatch(res.text, /ECONNREFUSED|10\.1\.2\.3|secret-bucket/);
      assert.deepEqual((await request(env.app.server).get('/healthz').expect(200)).body, { status: 'ok' });
      // 21 probes, but at most one check a second (a crowded machine may stretch this past one)
      await Promise.all(Array.from({ length: 20 }, () => request(env.app.server).get('/readyz').expect(503)));
      const seconds = (performance.now() - started) / 1000;
      assert.ok(pings <= Math.ceil(seconds), `${pings} checks in ${seconds.toFixed(2)} s`);
    } finally {
      env.services.blobs.ping = original;
    }
    await nextReadinessCheck();
    await request(env.app.server).get('/readyz').expect(200);
  });

  it('GET /readyz gives up on a dependency that does not answer', async () => {
    const original = env.services.blobs.ping;
    env.services.blobs.ping = () => new Promise(() => {});
    try {
      await nextReadinessCheck();
      const started = performance.now();
      const res = await request(env.app.server).get('/readyz').expect(503);
      assert.equal(res.body.s3, 'unavailable');
      assert.ok(performance.now() - started < 5000);
    } finally {
      env.services.blobs.ping = original;
    }
  });

  it('GET /healthz answers from memory even when PostgreSQL is unreachable', async () => {
    const original = env.services.pool.query;
    let queries = 0;
    env.services.pool.query = (() => {
      queries++;
      return Promise.reject(new Error('gone'));
    }) as unknown as typeof original;
    try {
      assert.deepEqual((await request(env.app.server).get('/healthz').expect(200)).body, { status: 'ok' });
      assert.equal(queries, 0);
    } finally {
      env.services.pool.query = original;
    }
  });

  it('unknown routes answer 404 in the error shape', async () => {
    const res = await request(env.app.server).get('/nope').expect(404);
    assert.equal(res.body.error.code, 'ROUTE_NOT_FOUND');
  });

  it('/v1 routes need a bearer key', async () => {
    const missing = await request(env.app.server).get('/v1/datasets').expect(401);
    assert.equal(missing.body.error.code, 'UNAUTHENTICATED');
    const wrong = await request(env.app.server).get('/v1/datasets').set('Authorization', 'Bearer nope').expect(401);
    assert.equal(wrong.body.error.code, 'INVALID_API_KEY');
  });

  it('serves Swagger UI at /docs', async () => {
    await request(env.app.server).get('/docs/').expect(200);
    const spec = await request(env.app.server).get('/docs/json').expect(200);
    assert.equal(spec.body.openapi, '3.1.0');
  });
});
