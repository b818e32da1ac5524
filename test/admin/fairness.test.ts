// Fair scheduling across tenants on the real pg-boss queue: one tenant's 100 queued jobs delay
// another tenant's first job by at most one job slot, tenants with many jobs take turns, and each
// tenant's own jobs still run first in, first out.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PgBoss } from 'pg-boss';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { createDataset, postJob, tenantIdOf } from '../helpers/jobFixtures.ts';
import { waitFor } from '../helpers/waitFor.ts';
import { startQueue, type QueueMessage } from '../../src/queue/boss.ts';
import { createTenant } from '../../src/domain/tenants.ts';

describe('fair scheduling of training jobs', () => {
  let env: TestEnv;
  let consumer: PgBoss | undefined;
  let datasets: Record<'a' | 'b' | 'c', string>;
  let auths: Record<'a' | 'b' | 'c', { Authorization: string }>;

  beforeEach(async () => {
    env = await createTestEnv();
    const c = await createTenant(env.services.db, 'tenant-c');
    auths = { a: env.auth, b: env.otherAuth, c: { Authorization: `Bearer ${c.apiKey}` } };
    datasets = {
      a: await createDataset(env, await tenantIdOf(env, env.apiKey)),
      b: await createDataset(env, await tenantIdOf(env, env.otherApiKey)),
      c: await createDataset(env, c.tenantId),
    };
  });
  afterEach(async () => {
    await consumer?.stop({ graceful: false });
    consumer = undefined;
    await env.close();
  });

  const post = async (tenant: 'a' | 'b' | 'c', count: number) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await postJob(env, datasets[tenant], {}, auths[tenant])).id);
    return ids;
  };
  /** Claims jobs one at a time, as a worker does, and returns their ids in claim order. */
  const claimAll = async (count: number) => {
    consumer ??= await startQueue(env.databaseUrl, { supervise: false });
    const order: string[] = [];
    for (let i = 0; i < count; i++) {
      const [job] = await consumer.fetch<QueueMessage>('train', { batchSize: 1 });
      if (!job) break;
      order.push(job.data.id);
    }
    return order;
  };

  it('with one worker busy on tenant A\'s first of 100 jobs, tenant B\'s first job is claimed next', async () => {
    const aJobs = await post('a', 100);
    consumer = await startQueue(env.databaseUrl, { supervise: false });
    const claims: string[] = [];
    let release: (() => void) | undefined;
    // a worker that runs one job at a time and records what it claims (pg-boss's own work loop)
    await consumer.work<QueueMessage>('train', { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([job]) => {
      await env.services.db.job.update({ where: { id: job!.data.id }, data: { status: 'running', startedAt: new Date() } });
      await new Promise<void>((resolve) => {
        release = resolve;
        claims.push(job!.data.id);
      });
      await env.services.db.job.update({ where: { id: job!.data.id }, data: { status: 'succeeded', finishedAt: new Date() } });
    });
    await waitFor('the first claim', async () => (claims.length === 1 ? true : undefined), 30_000, 50);
    assert.equal(claims[0], aJobs[0]);
    const [bJob] = await post('b', 1);
    for (let n = 2; n <= 3; n++) {
      release!();
      await waitFor(`claim ${n}`, async () => (claims.length === n ? true : undefined), 30_000, 50);
    }
    assert.deepEqual(claims, [aJobs[0], bJob, aJobs[1]], 'B waited for the running job only; A continues in order');
    release!();
  });

  it('with nothing running, B\'s first job is at most one slot behind A\'s 100', async () => {
    await post('a', 100);
    const [bJob] = await post('b', 1);
    const order = await claimAll(3);
    assert.ok(order.indexOf(bJob!) >= 0 && order.indexOf(bJob!) <= 1, `B's job at position ${order.indexOf(bJob!)}`);
  });

  it('three tenants with five jobs each take turns, each in its own order', async () => {
    const a = await post('a', 5);
    const b = await post('b', 5);
    const c = await post('c', 5);
    const order = await claimAll(15);
    const expected = a.flatMap((_, i) => [a[i], b[i], c[i]]);
    assert.deepEqual(order, expected);
  });

  it('a tenant that joins late is not starved behind earlier tenants, and FIFO holds within each', async () => {
    const a = await post('a', 10);
    const first = await claimAll(4);
    assert.deepEqual(first, a.slice(0, 4));
    for (const id of first) await env.services.db.job.update({ where: { id }, data: { status: 'running' } });
    const b = await post('b', 3);
    const rest = await claimAll(9);
    // B's three jobs interleave with A's remaining six, each tenant in posting order
    assert.deepEqual(rest.filter((id) => b.includes(id)), b);
    assert.deepEqual(rest.filter((id) => a.includes(id)), a.slice(4));
    assert.ok(rest.indexOf(b[0]!) <= 1, `B's first job at ${rest.indexOf(b[0]!)}`);
    assert.ok(rest.indexOf(b[2]!) <= 5, `B's last job at ${rest.indexOf(b[2]!)}`);
  });

  it('each job records its queue tag and the queue entry carries the matching priority', async () => {
    const [a0, a1] = await post('a', 2);
    const rows = await env.services.pool.query<{ id: string; queue_tag: number; priority: number }>(
      `SELECT j.id, j.queue_tag, q.priority FROM jobs j JOIN pgboss.job q ON q.id::text = j.queue_job_id WHERE j.id = ANY($1)`,
      [[a0, a1]],
    );
    const byId = Object.fromEntries(rows.rows.map((r) => [r.id, r]));
    assert.equal(byId[a1!]!.queue_tag, byId[a0!]!.queue_tag + 1);
    for (const r of rows.rows) assert.equal(r.priority, 0 - r.queue_tag);
  });
});
