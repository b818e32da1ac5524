// GraphQL under hostile operations: depth, aliases, cost (aliases × list sizes) and subscriptions
// per connection are refused before anything runs, with a code; no error carries internal text.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { createDataset, postJob, tenantIdOf } from '../helpers/jobFixtures.ts';
import { GRAPHQL_LIMITS } from '../../src/graphql/limits.ts';
import { assertNoInternals } from './assertions.ts';

describe('GraphQL limits and errors', () => {
  let env: TestEnv;
  let url: string;
  let datasetId: string;
  let jobId: string;
  const clients: Client[] = [];

  before(async () => {
    env = await createTestEnv();
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    url = `ws://127.0.0.1:${(env.app.server.address() as AddressInfo).port}/graphql`;
    datasetId = await createDataset(env, await tenantIdOf(env, env.apiKey));
    jobId = (await postJob(env, datasetId)).id;
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await env.close();
  });

  const gql = (query: string, variables: object = {}) => request(env.app.server).post('/graphql').set(env.auth).send({ query, variables });

  /** Refused before running: the status, one coded error, no data, no internal text. */
  let lastRefusal: { body: { errors: Array<{ extensions: { details: { cost: number; maxCost: number } } }> } };
  async function refused(query: string, code: string, variables: object = {}, status = 400): Promise<void> {
    const started = Date.now();
    const res = await gql(query, variables);
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.data ?? null, null);
    assert.ok(res.body.errors?.length >= 1, JSON.stringify(res.body));
    assert.ok(res.body.errors.every((e: { extensions?: { code?: string } }) => e.extensions?.code === code), JSON.stringify(res.body.errors));
    assertNoInternals(res.body);
    assert.ok(Date.now() - started < 5000, 'refused quickly');
    await stillAnswers();
    lastRefusal = res;
  }

  async function stillAnswers() {
    const res = await gql(`{ job(id: "${jobId}") { id status } }`);
    assert.equal(res.status, 200);
    assert.equal(res.body.data.job.id, jobId);
  }

  const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

  describe('aliases', () => {
    it('1 000 aliases of jobs { items { metrics checkpoints } } are refused at once', async () =>
      refused(aliases(1000, 'jobs { items { metrics { step } checkpoints { id } } }'), 'TOO_MANY_ALIASES'));
    it(`${GRAPHQL_LIMITS.aliases + 1} aliases are refused`, async () => refused(aliases(GRAPHQL_LIMITS.aliases + 1, `job(id: "${jobId}") { id }`), 'TOO_MANY_ALIASES'));
    it(`${GRAPHQL_LIMITS.aliases} aliases are answered`, async () => {
      const res = await gql(aliases(GRAPHQL_LIMITS.aliases, `job(id: "${jobId}") { id }`));
      assert.equal(res.status, 200);
      assert.equal(res.body.data.a0.id, jobId);
    });
    it('aliases hidden in a fragment are counted', async () =>
      refused(`query { ...F } fragment F on Query { ${Array.from({ length: 30 }, (_, i) => `f${i}: datasets { nextCursor }`).join(' ')} }`, 'TOO_MANY_ALIASES'));
    it('aliases on nested fields are counted', async () =>
      refused(`{ job(id: "${jobId}") { ${Array.from({ length: 30 }, (_, i) => `m${i}: metrics { step }`).join(' ')} } }`, 'TOO_MANY_ALIASES'));
  });

  describe('cost', () => {
    it('a page of 100 jobs with 10 000 metric points each is refused', async () =>
      refused('{ jobs(limit: 100) { items { metrics(last: 10000) { step epoch values } } } }', 'QUERY_TOO_COMPLEX'));
    it('the same through variables is refused', async () =>
      refused('query($n: Int, $m: Int) { jobs(limit: $n) { items { metrics(last: $m) { step } } } }', 'QUERY_TOO_COMPLEX', { n: 100, m: 10000 }));
    it('one query text is costed per set of variables, and refused every time it is over', async () => {
      const query = 'query($n: Int, $m: Int) { jobs(limit: $n) { items { metrics(last: $m) { step } } } }';
      for (let round = 0; round < 2; round++) {
        const small = await gql(query, { n: 2, m: 5 });
        assert.equal(small.status, 200, JSON.stringify(small.body));
        await refused(query, 'QUERY_TOO_COMPLEX', { n: 100, m: 10000 });
      }
      await refused(aliases(GRAPHQL_LIMITS.aliases + 1, `job(id: "${jobId}") { id }`), 'TOO_MANY_ALIASES');
      await refused(aliases(GRAPHQL_LIMITS.aliases + 1, `job(id: "${jobId}") { id }`), 'TOO_MANY_ALIASES');
    });
    it('aliases under the alias limit that multiply list sizes are refused', async () =>
      refused(aliases(10, 'jobs(limit: 100) { items { metrics(last: 1000) { step } checkpoints { id } } }'), 'QUERY_TOO_COMPLEX'));
    it('unpaged lists count at their bound', async () =>
      refused(aliases(20, 'jobs(limit: 100) { items { checkpoints { id epoch step sizeBytes } evaluations { id } } }'), 'QUERY_TOO_COMPLEX'));
    it('the refusal names the cost and the limit', async () => {
      await refused('{ jobs(limit: 100) { items { metrics(last: 10000) { step } } } }', 'QUERY_TOO_COMPLEX');
      const res = lastRefusal;
      assert.equal(res.body.errors[0].extensions.details.maxCost, GRAPHQL_LIMITS.cost);
      assert.ok(res.body.errors[0].extensions.details.cost > GRAPHQL_LIMITS.cost);
    });
    it('an ordinary dashboard query is answered', async () => {
      const res = await gql('{ jobs(limit: 20) { items { id status progress metrics(last: 100) { step values } checkpoints { id } } nextCursor } datasets { items { id name imageCount labels { label count } } } }');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.errors, undefined);
      assert.ok(res.body.data.jobs.items.length >= 1);
    });
  });

  describe('depth', () => {
    it(`introspection nested deeper than ${GRAPHQL_LIMITS.depth} is refused`, async () =>
      refused('{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } }', 'QUERY_TOO_DEEP'));
    it('the introspection GraphiQL sends is answered', async () => {
      const res = await gql('{ __schema { queryType { name } types { name kind fields { name type { name kind ofType { name kind ofType { name kind } } } } } } }');
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
      assert.ok(res.body.data.__schema.types.length > 5);
    });
  });

  describe('errors carry codes, never internal text', () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const [name, cursor] of [
      ['a cursor that is not base64 JSON', '!!!'],
      ['a dataset cursor with an invalid date', forged(['2024-13-45T00:00:00.000Z', 'ds_x'])],
      ['a dataset cursor with a year PostgreSQL rejects', forged(['-010000-01-01T00:00:00.000Z', 'ds_x'])],
      ['a dataset cursor in the old object form', forged({ t: 'not a date', id: 'ds_x' })],
      ['a dataset cursor with a NUL in its id', forged(['2024-01-01T00:00:00.000Z', 'ds_\u0000'])],
    ] as const) {
      it(`datasets(cursor:) with ${name} is INVALID_CURSOR`, async () => {
        const res = await gql('query($c: String) { datasets(cursor: $c) { items { id } } }', { c: cursor });
        assert.equal(res.body.errors[0].extensions.code, 'INVALID_CURSOR', JSON.stringify(res.body));
        assertNoInternals(res.body);
        assert.ok(!JSON.stringify(res.body).includes(env.tenantId), 'no tenant id');
        await stillAnswers();
      });
    }
    it('jobs(cursor:) with a forged date is INVALID_CURSOR', async () => {
      const res = await gql('query($c: String) { jobs(cursor: $c) { items { id } } }', { c: forged(['+275760-09-13T00:00:00.000Z', 'job_x']) });
      assert.equal(res.body.errors[0].extensions.code, 'INVALID_CURSOR');
      assertNoInternals(res.body);
    });
    it('a NUL in a variable is INVALID_CHARACTER', async () => {
      const res = await gql('query($id: ID!) { job(id: $id) { id } }', { id: 'job_\u0000x' });
      assert.equal(res.status, 400);
      assert.equal(res.body.errors[0].extensions.code, 'INVALID_CHARACTER', JSON.stringify(res.body));
      assertNoInternals(res.body);
      await stillAnswers();
    });
    it('a NUL written as a GraphQL string escape is INVALID_CHARACTER', async () => {
      const res = await gql('{ job(id: "job_\\u0000x") { id } }');
      assert.equal(res.body.errors[0].extensions.code, 'INVALID_CHARACTER', JSON.stringify(res.body));
      await stillAnswers();
    });
    it('a syntax error is GRAPHQL_VALIDATION_FAILED', async () => refused('{ jobs { items { id }', 'GRAPHQL_VALIDATION_FAILED'));
    it('an unknown field is GRAPHQL_VALIDATION_FAILED', async () => refused('{ jobs { items { password } } }', 'GRAPHQL_VALIDATION_FAILED'));
    it('a database failure inside a resolver is INTERNAL with a fixed message', async () => {
      await env.services.pool.query('ALTER TABLE metric_points RENAME TO metric_points_hidden');
      try {
        const res = await gql(`{ job(id: "${jobId}") { id metrics { step } } }`);
        const error = res.body.errors[0];
        assert.equal(error.extensions.code, 'INTERNAL');
        assert.equal(error.message, 'internal server error');
        assertNoInternals(res.body);
        assert.ok(!JSON.stringify(res.body).includes('metric_points'));
      } finally {
        await env.services.pool.query('ALTER TABLE metric_points_hidden RENAME TO metric_points');
      }
      await stillAnswers();
    });
    it('a foreign or unknown job is JOB_NOT_FOUND', async () => {
      const res = await gql('{ job(id: "job_nope") { id } }');
      assert.equal(res.body.errors[0].extensions.code, 'JOB_NOT_FOUND');
    });
  });

  describe('subscriptions per connection', () => {
    const SUB = 'subscription($id: ID!) { jobUpdated(id: $id) { id status } }';

    it(`the ${GRAPHQL_LIMITS.subscriptionsPerConnection + 1}th subscription on one connection is refused; closing one frees a slot`, async () => {
      const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { Authorization: env.auth.Authorization }, retryAttempts: 0, lazy: true });
      clients.push(client);
      const jobs: string[] = [];
      for (let i = 0; i <= GRAPHQL_LIMITS.subscriptionsPerConnection + 1; i++) jobs.push((await postJob(env, datasetId)).id);
      const open = (id: string) =>
        new Promise<{ first?: unknown; error?: unknown; dispose: () => void }>((resolve) => {
          const dispose = client.subscribe({ query: SUB, variables: { id } }, {
            next: (value) => resolve({ first: value, dispose }),
            error: (error) => resolve({ error, dispose }),
            complete: () => {},
          });
        });
      const live = [];
      for (const id of jobs.slice(0, GRAPHQL_LIMITS.subscriptionsPerConnection)) {
        const sub = await open(id);
        assert.equal(sub.error, undefined, JSON.stringify(sub.error));
        live.push(sub);
      }
      const over = await open(jobs[GRAPHQL_LIMITS.subscriptionsPerConnection]!);
      const errors = (over.error ?? (over.first as { errors?: unknown[] })?.errors) as Array<{ extensions?: { code?: string } }>;
      assert.ok(Array.isArray(errors), JSON.stringify(over));
      assert.equal(errors[0]?.extensions?.code, 'TOO_MANY_SUBSCRIPTIONS');
      live[0]!.dispose();
      await new Promise((r) => setTimeout(r, 300));
      const again = await open(jobs[GRAPHQL_LIMITS.subscriptionsPerConnection + 1]!);
      assert.equal(again.error, undefined, JSON.stringify(again.error));
      assert.ok(again.first);
      await stillAnswers();
    });

    it('a subscription whose cost hides in variables is costed at the largest page sizes', async () => {
      const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { Authorization: env.auth.Authorization }, retryAttempts: 0, lazy: true });
      clients.push(client);
      const query = `subscription($id: ID!, $n: Int) { jobUpdated(id: $id) { ${Array.from({ length: 10 }, (_, i) => `m${i}: metrics(last: $n) { step values }`).join(' ')} } }`;
      const outcome = await new Promise<unknown>((resolve) => {
        client.subscribe({ query, variables: { id: jobId, n: 10_000 } }, { next: resolve, error: resolve, complete: () => resolve('complete') });
      });
      const errors = (Array.isArray(outcome) ? outcome : (outcome as { errors?: unknown[] })?.errors) as Array<{ extensions?: { code?: string } }>;
      assert.equal(errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX', JSON.stringify(outcome));
    });

    it('a second connection has its own slots', async () => {
      const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { Authorization: env.auth.Authorization }, retryAttempts: 0, lazy: true });
      clients.push(client);
      const first = await new Promise<unknown>((resolve, reject) => {
        client.subscribe({ query: SUB, variables: { id: jobId } }, { next: resolve, error: reject, complete: () => {} });
      });
      assert.ok(first);
    });

    it('aliases in a subscription are limited too', async () => {
      const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { Authorization: env.auth.Authorization }, retryAttempts: 0, lazy: true });
      clients.push(client);
      const query = `subscription($id: ID!) { jobUpdated(id: $id) { ${Array.from({ length: 30 }, (_, i) => `s${i}: status`).join(' ')} } }`;
      const outcome = await new Promise<unknown>((resolve) => {
        client.subscribe({ query, variables: { id: jobId } }, { next: resolve, error: resolve, complete: () => resolve('complete') });
      });
      const errors = (Array.isArray(outcome) ? outcome : (outcome as { errors?: unknown[] })?.errors) as Array<{ message?: string; extensions?: { code?: string } }>;
      assert.ok(Array.isArray(errors), JSON.stringify(outcome));
      assert.equal(errors[0]?.extensions?.code, 'TOO_MANY_ALIASES', JSON.stringify(errors));
    });
  });
});
