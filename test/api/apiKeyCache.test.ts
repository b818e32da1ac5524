// The API-key cache on real PostgreSQL: two app instances (two "replicas") share one database; a key
// revoked or deleted by plain SQL, as any admin path does, stops working on both as soon as the
// database's notification arrives (NOTIFY is delivered asynchronously after the commit, so a request
// racing it may still pass: the tests allow it a second, against the cache's 30 s); the cache is
// really in use; and losing the LISTEN connection does not let a stale key in.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import request from 'supertest';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { startServices, type Services } from '../../src/services.ts';
import { buildApp } from '../../src/app.ts';
import { BOOTSTRAP_SCOPES, createTenant, hashApiKey } from '../../src/domain/tenants.ts';
import { API_KEY_CHANNEL } from '../../src/domain/apiKeyCache.ts';

describe('API-key cache', () => {
  let env: TestEnv;
  let second: { services: Services; app: FastifyInstance };
  before(async () => {
    env = await createTestEnv();
    const services = await startServices(env.config, pino({ level: 'silent' }));
    second = { services, app: await buildApp(services, { logger: false }) };
    await second.app.ready();
  });
  after(async () => {
    await second?.app.close();
    await second?.services.close();
    await env?.close();
  });

  const replicas = () => [env.app, second.app];
  const status = async (app: FastifyInstance, key: string) =>
    (await request(app.server).get('/v1/datasets').set('Authorization', `Bearer ${key}`)).status;
  const listenerPids = async () =>
    (await env.services.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1`,
      [`LISTEN "${API_KEY_CHANNEL}"`],
    )).rows.map((r) => r.pid);
  /** Polls every replica until `key` is refused; fails if that takes a second (the cache would keep it 30 s). */
  async function refusedEverywhere(key: string, check = async (app: FastifyInstance) => (await status(app, key)) === 401) {
    const started = performance.now();
    for (const app of replicas()) {
      while (!(await check(app))) {
        assert.ok(performance.now() - started < 1000, 'refused within a second of the commit');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  }
  /** A fresh key, authenticated on both replicas until both have it cached (their LISTEN is up). */
  async function warmKey(): Promise<string> {
    const { apiKey } = await createTenant(env.services.db, `t-${Math.random()}`);
    for (let i = 0; (await listenerPids()).length < 2; i++) {
      assert.ok(i < 100, 'both replicas LISTEN within 5 s of their first request');
      for (const app of replicas()) assert.equal(await status(app, apiKey), 200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const app of replicas()) assert.equal(await status(app, apiKey), 200);
    return apiKey;
  }

  it('serves a known key from memory (a change the database does not announce goes unseen)', async () => {
    const key = await warmKey();
    await env.services.pool.query('ALTER TABLE api_keys DISABLE TRIGGER api_keys_changed');
    try {
      await env.services.pool.query('UPDATE api_keys SET revoked_at = now() WHERE hash = $1', [hashApiKey(key)]);
      for (const app of replicas()) assert.equal(await status(app, key), 200, 'cached row');
    } finally {
      await env.services.pool.query('ALTER TABLE api_keys ENABLE TRIGGER api_keys_changed');
    }
  });

  it('a revoked key is refused by every replica at once', async () => {
    const key = await warmKey();
    await env.services.pool.query('UPDATE api_keys SET revoked_at = now() WHERE hash = $1', [hashApiKey(key)]);
    await refusedEverywhere(key);
    for (const app of replicas()) {
      const res = await request(app.server).get('/v1/datasets').set('Authorization', `Bearer ${key}`).expect(401);
      assert.equal(res.body.error.code, 'INVALID_API_KEY');
    }
  });

  it('a deleted key (and a deleted tenant\'s keys) is refused by every replica at once', async () => {
    const key = await warmKey();
    await env.services.pool.query('DELETE FROM api_keys WHERE hash = $1', [hashApiKey(key)]);
    await refusedEverywhere(key);

    const other = await warmKey();
    await env.services.pool.query('DELETE FROM tenants WHERE id = (SELECT tenant_id FROM api_keys WHERE hash = $1)', [hashApiKey(other)]);
    await refusedEverywhere(other);
  });

  it('GraphQL sees revocations at once too', async () => {
    const key = await warmKey();
    const query = (app: FastifyInstance) =>
      request(app.server).post('/graphql').set('Authorization', `Bearer ${key}`).send({ query: '{ datasets(limit: 1) { items { id } } }' });
    for (const app of replicas()) assert.equal((await query(app)).body.errors, undefined);
    await env.services.pool.query('UPDATE api_keys SET revoked_at = now() WHERE hash = $1', [hashApiKey(key)]);
    await refusedEverywhere(key, async (app) => (await query(app)).body.errors?.[0]?.extensions?.code === 'INVALID_API_KEY');
  });

  it('the replica that revokes, rotates or deletes refuses the old key on its very next request, notification or not', async () => {
    const { apiKey: admin } = await createTenant(env.services.db, 'admins', undefined, BOOTSTRAP_SCOPES);
    const asAdmin = (method: 'post' | 'delete', path: string) => request(env.app.server)[method](path).set('Authorization', `Bearer ${admin}`);
    const keyRow = async (key: string) => (await env.services.db.apiKey.findUnique({ where: { hash: hashApiKey(key) } }))!;
    const [revoked, rotated, deleted] = [await warmKey(), await warmKey(), await warmKey()];
    // with the trigger off no notification comes at all, so only the answering replica's own eviction can act
    await env.services.pool.query('ALTER TABLE api_keys DISABLE TRIGGER api_keys_changed');
    try {
      const r = await keyRow(revoked);
      await asAdmin('post', `/v1/admin/tenants/${r.tenantId}/keys/${r.id}/revoke`).expect(200);
      assert.equal(await status(env.app, revoked), 401, 'revoked');
      const o = await keyRow(rotated);
      await asAdmin('post', `/v1/admin/tenants/${o.tenantId}/keys/${o.id}/rotate`).expect(201);
      assert.equal(await status(env.app, rotated), 401, 'rotated away');
      await asAdmin('delete', `/v1/admin/tenants/${(await keyRow(deleted)).tenantId}`).expect(204);
      assert.equal(await status(env.app, deleted), 401, 'its tenant deleted');
    } finally {
      await env.services.pool.query('ALTER TABLE api_keys ENABLE TRIGGER api_keys_changed');
    }
  });

  it('a key revoked while the LISTEN connection is down is refused, then and after it is back', async () => {
    const key = await warmKey();
    const before = await listenerPids();
    await env.services.pool.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before]);
    await env.services.pool.query('ALTER TABLE api_keys DISABLE TRIGGER api_keys_changed');
    try {
      // no notification at all: only dropping the cache with the connection keeps this key out
      await env.services.pool.query('UPDATE api_keys SET revoked_at = now() WHERE hash = $1', [hashApiKey(key)]);
      // the replicas learn of the loss asynchronously; until then a request may still be served from
      // memory, so wait for the reconnection that follows it
      for (let i = 0; (await listenerPids()).filter((pid) => !before.includes(pid)).length < 2; i++) {
        assert.ok(i < 200, 'both replicas LISTEN again');
        for (const app of replicas()) await status(app, key);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      for (const app of replicas()) assert.equal(await status(app, key), 401);
    } finally {
      await env.services.pool.query('ALTER TABLE api_keys ENABLE TRIGGER api_keys_changed');
    }
  });
});
