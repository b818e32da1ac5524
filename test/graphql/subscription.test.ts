import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import request from 'supertest';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { createDataset, postJob, tenantIdOf } from '../helpers/jobFixtures.ts';

const SUBSCRIPTION = `subscription($id: ID!) { jobUpdated(id: $id) { id status progress error { code message } attempts } }`;
type Update = { id: string; status: string; progress: unknown; error: unknown; attempts: number };

describe('GraphQL subscription jobUpdated over graphql-transport-ws', () => {
  let env: TestEnv;
  let url: string;
  let datasetId: string;
  // the "worker": its own connection, as on another machine
  let worker: pg.Client;
  const clients: Client[] = [];

  before(async () => {
    env = await createTestEnv();
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    url = `ws://127.0.0.1:${(env.app.server.address() as AddressInfo).port}/graphql`;
    datasetId = await createDataset(env, await tenantIdOf(env, env.apiKey));
    worker = new pg.Client({ connectionString: env.databaseUrl });
    await worker.connect();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await worker.end();
    await env.close();
  });

  const connect = (connectionParams?: Record<string, unknown>, webSocketImpl: unknown = WebSocket) => {
    const client = createClient({ url, webSocketImpl, connectionParams, retryAttempts: 0, lazy: true });
    clients.push(client);
    return client;
  };
  const workerWrites = async (jobId: string, sql: string, values: unknown[] = []) => {
    await worker.query(`UPDATE jobs SET ${sql}, updated_at = now() WHERE id = $1`, [jobId, ...values]);
    await env.services.events.notify(jobId, worker);
  };

  it('pushes the current state, then each change a worker writes, and completes when the job is finished', async () => {
    const job = await postJob(env, datasetId);
    const updates = connect({ Authorization: env.auth.Authorization }).iterate<{ jobUpdated: Update }>({
      query: SUBSCRIPTION,
      variables: { id: job.id },
    });
    const nextUpdate = async () => {
      const { value, done } = await updates.next();
      assert.equal(done, false);
      assert.equal(value.errors, undefined, JSON.stringify(value.errors));
      return value.data!.jobUpdated;
    };

    assert.equal((await nextUpdate()).status, 'queued');
    await workerWrites(job.id, `status = 'running', attempts = 1, started_at = now()`);
    assert.deepEqual(await nextUpdate(), { id: job.id, status: 'running', progress: null, error: null, attempts: 1 });
    // a notification that changed nothing visible is not pushed: the next push is the next change
    await env.services.events.notify(job.id, worker);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await workerWrites(job.id, `progress = $2`, [JSON.stringify({ epoch: 1, step: 50, loss: -0.4 })]);
    assert.deepEqual((await nextUpdate()).progress, { epoch: 1, step: 50, loss: -0.4 });
    await workerWrites(job.id, `status = 'failed', error = $2, finished_at = now()`, [JSON.stringify({ code: 'NAN_LOSS', message: 'loss is NaN' })]);
    const last = await nextUpdate();
    assert.equal(last.status, 'failed');
    assert.deepEqual(last.error, { code: 'NAN_LOSS', message: 'loss is NaN' });
    assert.equal((await updates.next()).done, true, 'the stream completes after a finished job');
  });

  it('a cancel through the API reaches subscribers', async () => {
    const job = await postJob(env, datasetId);
    const updates = connect({ Authorization: env.auth.Authorization }).iterate<{ jobUpdated: Update }>({
      query: SUBSCRIPTION,
      variables: { id: job.id },
    });
    assert.equal((await updates.next()).value.data?.jobUpdated.status, 'queued');
    await request(env.app.server).post(`/v1/jobs/${job.id}/cancel`).set(env.auth).expect(200);
    assert.equal((await updates.next()).value.data?.jobUpdated.status, 'cancelled');
    assert.equal((await updates.next()).done, true);
  });

  it('accepts the key from the upgrade request\'s Authorization header', async () => {
    const job = await postJob(env, datasetId);
    const authorization = env.auth.Authorization;
    class HeaderWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: { Authorization: authorization } });
      }
    }
    const updates = connect(undefined, HeaderWebSocket).iterate<{ jobUpdated: Update }>({ query: SUBSCRIPTION, variables: { id: job.id } });
    assert.equal((await updates.next()).value.data?.jobUpdated.id, job.id);
    // the server-side LISTEN fan-out listener goes away with the subscription
    const emitter = (env.services.events as unknown as { emitter: EventEmitter }).emitter;
    assert.equal(emitter.listenerCount(job.id), 1);
    await updates.return?.();
    for (let i = 0; i < 50 && emitter.listenerCount(job.id) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(emitter.listenerCount(job.id), 0);
  });

  for (const [name, params, code] of [
    ['another tenant\'s job', 'other', 'JOB_NOT_FOUND'],
    ['no key', undefined, 'UNAUTHENTICATED'],
    ['a wrong key', { Authorization: 'Bearer ssk_wrong' }, 'INVALID_API_KEY'],
  ] as const) {
    it(`refuses ${name} with ${code}`, async () => {
      const job = await postJob(env, datasetId);
      const connectionParams = params === 'other' ? { Authorization: env.otherAuth.Authorization } : params;
      const updates = connect(connectionParams).iterate({ query: SUBSCRIPTION, variables: { id: job.id } });
      await assert.rejects(updates.next(), (errors: unknown) => {
        const [error] = errors as Array<{ extensions?: { code?: string } }>;
        assert.equal(error?.extensions?.code, code);
        return true;
      });
    });
  }
});
