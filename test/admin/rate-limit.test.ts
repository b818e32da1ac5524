// Per-key rate limits: in memory by default, shared through Redis (127.0.0.1:6379, as CI runs it)
// when REDIS_URL is set, 429 RATE_LIMITED with Retry-After in the JSON error shape, and a Redis
// outage that lets requests through instead of failing them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { api, assertAlive, assertError, bearer, rowCounts } from './helpers.ts';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { buildApp } from '../../src/app.ts';
import type { RateLimitConfig } from '../../src/config.ts';
import { createTenant } from '../../src/domain/tenants.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WINDOW_MS = 3000;

describe('rate limits', () => {
  let env: TestEnv;
  const apps: FastifyInstance[] = [];
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    for (const app of apps) await app.close();
    await env.close();
  });

  /** Another API replica on the same database and bucket, with these limits. */
  async function replica(rateLimit: RateLimitConfig) {
    const app = await buildApp({ ...env.services, config: { ...env.services.config, rateLimit } }, { logger: false });
    await app.ready();
    apps.push(app);
    return app;
  }
  const freshKey = async () => bearer((await createTenant(env.services.db, 'rl')).apiKey);
  const get = (app: FastifyInstance, auth: object, path = '/v1/datasets') => request(app.server).get(path).set(auth as Record<string, string>);

  function assertLimited(res: request.Response, limit: number) {
    assertError(res, 429, 'RATE_LIMITED');
    const retryAfter = Number(res.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= WINDOW_MS / 1000, `Retry-After ${res.headers['retry-after']}`);
    assert.equal(res.body.error.details.retryAfterSeconds, retryAfter);
    assert.equal(res.body.error.details.limit, limit);
    assert.equal(res.headers['x-ratelimit-remaining'], '0');
  }

  describe('in memory', () => {
    let app: FastifyInstance;
    before(async () => {
      app = await replica({ max: 5, windowMs: WINDOW_MS });
    });

    it('lets a key make max requests per window, counting down in the headers, then answers 429', async () => {
      const auth = await freshKey();
      for (let i = 0; i < 5; i++) {
        const res = await get(app, auth).expect(200);
        assert.equal(res.headers['x-ratelimit-limit'], '5');
        assert.equal(res.headers['x-ratelimit-remaining'], String(4 - i));
      }
      assertLimited(await get(app, auth), 5);
      await assertAlive(env);
    });

    it('counts per key: another key of the same tenant and another tenant are not limited', async () => {
      const auth = await freshKey();
      for (let i = 0; i < 6; i++) await get(app, auth);
      assertLimited(await get(app, auth), 5);
      await get(app, await freshKey()).expect(200);
      await get(app, env.otherAuth).expect(200);
    });

    it('a limited write does nothing', async () => {
      const auth = await freshKey();
      for (let i = 0; i < 5; i++) await get(app, auth).expect(200);
      const before = await rowCounts(env);
      assertLimited(await request(app.server).post('/v1/datasets').set(auth).send({ name: 'limited' }), 5);
      assert.deepEqual(await rowCounts(env), before);
    });

    it('the window passes and the key may send again', async () => {
      const auth = await freshKey();
      for (let i = 0; i < 5; i++) await get(app, auth).expect(200);
      const limited = await get(app, auth);
      assertLimited(limited, 5);
      await new Promise((r) => setTimeout(r, Number(limited.headers['retry-after']) * 1000 + 200));
      await get(app, auth).expect(200);
    });

    it('GraphQL counts against the same key and answers 429 in GraphQL\'s error shape', async () => {
      const auth = await freshKey();
      const query = { query: '{ datasets { items { id } } }' };
      for (let i = 0; i < 4; i++) await request(app.server).post('/graphql').set(auth).send(query).expect(200);
      await get(app, auth).expect(200);
      const res = await request(app.server).post('/graphql').set(auth).send(query);
      assert.equal(res.status, 429);
      assert.ok(Number(res.headers['retry-after']) >= 1);
      assert.equal(res.body.data ?? null, null);
      assert.match(res.body.errors[0].message, /rate limit of 5 requests/);
    });

    it('/healthz is never limited', async () => {
      for (let i = 0; i < 12; i++) await request(app.server).get('/healthz').expect(200);
    });

    it('two replicas counting in memory do not share counts', async () => {
      const other = await replica({ max: 5, windowMs: WINDOW_MS });
      const auth = await freshKey();
      for (let i = 0; i < 5; i++) await get(app, auth).expect(200);
      await get(other, auth).expect(200);
    });

    it('RATE_LIMIT_MAX=0 turns limiting off', async () => {
      const unlimited = await replica({ max: 0, windowMs: WINDOW_MS });
      const auth = await freshKey();
      for (let i = 0; i < 8; i++) {
        const res = await get(unlimited, auth).expect(200);
        assert.equal(res.headers['x-ratelimit-limit'], undefined);
      }
    });
  });

  describe('in Redis', () => {
    let redis: Redis;
    before(async () => {
      redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      assert.equal(await redis.ping(), 'PONG', `Redis answers at ${REDIS_URL}`);
    });
    after(async () => {
      await redis.quit();
    });

    it('replicas share one count per key', async () => {
      const one = await replica({ max: 6, windowMs: WINDOW_MS, redisUrl: REDIS_URL });
      const two = await replica({ max: 6, windowMs: WINDOW_MS, redisUrl: REDIS_URL });
      const auth = await freshKey();
      for (let i = 0; i < 3; i++) {
        await get(one, auth).expect(200);
        await get(two, auth).expect(200);
      }
      assertLimited(await get(one, auth), 6);
      assertLimited(await get(two, auth), 6);
      const stored = await redis.keys('simsiam-rate-limit:*');
      assert.ok(stored.length > 0, 'counts are kept in Redis under the service namespace');
    });

    it('an unreachable Redis lets requests through at once instead of failing them', async () => {
      const blind = await replica({ max: 2, windowMs: WINDOW_MS, redisUrl: 'redis://127.0.0.1:1' });
      const auth = await freshKey();
      const started = Date.now();
      for (let i = 0; i < 4; i++) await get(blind, auth).expect(200);
      assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
    });
  });

  it('the default app limits too (1000 a minute unless configured)', async () => {
    const res = await api(env).get('/v1/datasets').set(env.auth).expect(200);
    assert.equal(res.headers['x-ratelimit-limit'], '1000');
  });
});
