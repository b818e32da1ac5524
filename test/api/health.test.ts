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

  it('GET /healthz answers 200 when PostgreSQL and S3 answer', async () => {
    const res = await request(env.app.server).get('/healthz').expect(200);
    assert.deepEqual(res.body, { status: 'ok', postgres: 'ok', s3: 'ok' });
  });

  it('GET /healthz answers 503 when S3 is gone', async () => {
    const original = env.services.blobs.ping;
    env.services.blobs.ping = async () => {
      throw new Error('connection refused to 10.1.2.3 as user s3admin');
    };
    try {
      const res = await request(env.app.server).get('/healthz').expect(503);
      assert.equal(res.body.status, 'unavailable');
      assert.equal(res.body.postgres, 'ok');
      // the reason goes to the log, not to whoever can reach /healthz
      assert.equal(res.body.s3, 'unavailable');
      assert.ok(!JSON.stringify(res.body).includes('10.1.2.3'));
    } finally {
      env.services.blobs.ping = original;
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
