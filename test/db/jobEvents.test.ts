// JobEvents on a real PostgreSQL: notifications reach subscribers, and a LISTEN connection killed
// by the server (as in a restart or failover) is re-made, with every subscriber told to re-read.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { waitFor } from '../helpers/waitFor.ts';

describe('job change notifications', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => env.close());

  const listenerPids = async () =>
    (await env.services.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`,
    )).rows.map((r) => r.pid);

  it('delivers notifications, survives the server killing its LISTEN connection, and re-notifies subscribers after reconnecting', async () => {
    const calls: string[] = [];
    const unsubscribe = await env.services.events.subscribe('job_a', () => calls.push('a'));
    await env.services.events.notify('job_b'); // another job: not ours
    await env.services.events.notify('job_a');
    await waitFor('the first notification', async () => calls.length === 1 || undefined, 5000);

    const [pid] = await listenerPids();
    assert.ok(pid, 'a LISTEN connection exists');
    await env.services.pool.query('SELECT pg_terminate_backend($1)', [pid]);
    // the reconnect re-notifies: anything sent while disconnected was lost
    await waitFor('the re-notification after reconnecting', async () => calls.length === 2 || undefined, 10_000);
    const [newPid] = await listenerPids();
    assert.ok(newPid && newPid !== pid, 'a new LISTEN connection');

    await env.services.events.notify('job_a');
    await waitFor('a notification on the new connection', async () => calls.length === 3 || undefined, 5000);
    unsubscribe();
    await env.services.events.notify('job_a');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(calls.length, 3, 'no calls after unsubscribing');
  });
});
