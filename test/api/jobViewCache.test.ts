// The job-view cache on real PostgreSQL: two app instances (two "replicas") share one database. A
// worker's write (plain SQL, as workers write) shows on both as soon as the trigger's notification
// arrives (the tests allow it a second, against the cache's TTL); the cache is really in use; the
// replica that cancels or deletes answers its next read from the database; and losing the LISTEN
// connection does not serve a stale view.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import request from 'supertest';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { createDataset, markRunning, postJob, tenantIdOf } from '../helpers/jobFixtures.ts';
import { startServices, type Services } from '../../src/services.ts';
import { buildApp } from '../../src/app.ts';
import { TTL_MS } from '../../src/domain/jobViewCache.ts';

describe('job-view cache', () => {
  let env: TestEnv;
  let second: { services: Services; app: FastifyInstance };
  let datasetId: string;
  before(async () => {
    env = await createTestEnv();
    const services = await startServices(env.config, pino({ level: 'silent' }));
    second = { services, app: await buildApp(services, { logger: false }) };
    await second.app.ready();
    datasetId = await createDataset(env, await tenantIdOf(env, env.apiKey));
  });
  after(async () => {
    await second?.app.close();
    await second?.services.close();
    await env?.close();
  });

  const replicas = () => [env.app, second.app];
  const read = async (app: FastifyInstance, id: string) => request(app.server).get(`/v1/jobs/${id}`).set(env.auth);
  const listenerPids = async () =>
    (await env.services.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN simsiam_job_updated'`,
    )).rows.map((r) => r.pid);
  const setStep = (id: string, step: number) => env.services.pool.query(`UPDATE jobs SET progress = jsonb_build_object('step', $2::int) WHERE id = $1`, [id, step]);
  const withoutTrigger = async (fn: () => Promise<unknown>) => {
    await env.services.pool.query('ALTER TABLE jobs DISABLE TRIGGER jobs_changed');
    try {
      await fn();
    } finally {
      await env.services.pool.query('ALTER TABLE jobs ENABLE TRIGGER jobs_changed');
    }
  };
  /** A running job, read on both replicas until both LISTEN (so both cache it). */
  async function warmJob(): Promise<string> {
    const { id } = await postJob(env, datasetId, { epochs: 3 });
    await markRunning(env, id);
    await setStep(id, 1);
    for (let i = 0; (await listenerPids()).length < 2; i++) {
      assert.ok(i < 100, 'both replicas LISTEN within 5 s of their first read');
      for (const app of replicas()) (await read(app, id)).ok || assert.fail('read');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const app of replicas()) assert.equal((await read(app, id)).body.progress.step, 1);
    return id;
  }

  it('serves a job from memory (a change the database does not announce goes unseen)', async () => {
    const id = await warmJob();
    await withoutTrigger(async () => {
      await setStep(id, 2);
      for (const app of replicas()) assert.equal((await read(app, id)).body.progress.step, 1, 'cached view');
    });
  });

  it('a worker\'s write shows on every replica within a second, REST and GraphQL', async () => {
    const id = await warmJob();
    const gqlStep = async (app: FastifyInstance) =>
      (await request(app.server).post('/graphql').set(env.auth).send({ query: `{ job(id: "${id}") { progress } }` })).body.data.job.progress.step;
    for (const app of replicas()) assert.equal(await gqlStep(app), 1);
    await setStep(id, 7);
    assert.ok(TTL_MS >= 2000, 'the TTL alone could not explain a refresh within a second');
    const started = performance.now();
    for (const app of replicas()) {
      while ((await read(app, id)).body.progress.step !== 7 || (await gqlStep(app)) !== 7) {
        assert.ok(performance.now() - started < 1000, 'seen within a second of the commit');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  });

  it('the replica that cancels or deletes a job answers its next read from the database, notification or not', async () => {
    const cancelled = await warmJob();
    const deleted = await warmJob();
    await request(env.app.server).post(`/v1/jobs/${deleted}/cancel`).set(env.auth).expect(202);
    await env.services.pool.query(`UPDATE jobs SET status = 'cancelled', finished_at = now() WHERE id = $1`, [deleted]);
    assert.equal((await read(env.app, deleted)).body.status, 'cancelled');
    // with the trigger off no notification comes at all, so only the answering replica's own eviction can act
    await withoutTrigger(async () => {
      await request(env.app.server).post(`/v1/jobs/${cancelled}/cancel`).set(env.auth).expect(202);
      assert.notEqual((await read(env.app, cancelled)).body.cancelRequestedAt, null, 'cancel requested');
      await request(env.app.server).delete(`/v1/jobs/${deleted}`).set(env.auth).expect(204);
      const gone = await read(env.app, deleted);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.error.code, 'JOB_NOT_FOUND');
    });
  });

  it('another tenant never gets a cached job', async () => {
    const id = await warmJob();
    const res = await request(env.app.server).get(`/v1/jobs/${id}`).set(env.otherAuth).expect(404);
    assert.equal(res.body.error.code, 'JOB_NOT_FOUND');
  });

  it('a change made while the LISTEN connection is down is seen once it is back', async () => {
    const id = await warmJob();
    const before = await listenerPids();
    await env.services.pool.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before]);
    await withoutTrigger(async () => {
      // no notification at all: only dropping the cache with the connection lets the change through
      await setStep(id, 9);
      // the replicas learn of the loss asynchronously; until then a read may still come from memory,
      // so wait for the reconnection that follows it
      for (let i = 0; (await listenerPids()).filter((pid) => !before.includes(pid)).length < 2; i++) {
        assert.ok(i < 200, 'both replicas LISTEN again');
        for (const app of replicas()) await read(app, id);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      for (const app of replicas()) assert.equal((await read(app, id)).body.progress.step, 9);
    });
  });
});
