import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { createDataset, markRunning, postJob, tenantIdOf } from '../helpers/jobFixtures.ts';
import { newId } from '../../src/domain/ids.ts';

const JOB_FIELDS = `id status datasetId config progress error { code message } attempts backend workerId
  createdAt startedAt finishedAt metrics(last: 2) { epoch step values createdAt }
  checkpoints { id epoch step sizeBytes isFinal metrics }`;

describe('GraphQL queries', () => {
  let env: TestEnv;
  let datasetId: string;
  let otherDatasetId: string;
  let jobId: string;
  let otherJobId: string;
  before(async () => {
    env = await createTestEnv({ GRAPHIQL: 'true' });
    datasetId = await createDataset(env, await tenantIdOf(env, env.apiKey), ['cat', 'dog', 'cat', null]);
    otherDatasetId = await createDataset(env, await tenantIdOf(env, env.otherApiKey), ['x', 'y']);
    jobId = (await postJob(env, datasetId, { epochs: 4 })).id;
    otherJobId = (await postJob(env, otherDatasetId, {}, env.otherAuth)).id;
  });
  after(async () => env.close());

  const gql = (query: string, variables: object = {}, auth: object | null = env.auth) => {
    const req = request(env.app.server).post('/graphql');
    if (auth) req.set(auth as Record<string, string>);
    return req.send({ query, variables }).expect(200);
  };

  it('job(id) returns the same job as REST, with metrics and checkpoints', async () => {
    await markRunning(env, jobId);
    await env.services.db.job.update({ where: { id: jobId }, data: { progress: { epoch: 1, step: 30 } } });
    await env.services.db.metricPoint.createMany({
      data: [10, 20, 30].map((step) => ({ jobId, epoch: 0, step, values: { loss: -step / 100 } })),
    });
    await env.services.db.checkpoint.create({
      data: { id: newId('ckpt'), jobId, epoch: 1, step: 30, s3Key: 'k', sizeBytes: 5_000_000_000n, metrics: { loss: -0.3 } },
    });
    const res = await gql(`query($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`, { id: jobId });
    assert.equal(res.body.errors, undefined, JSON.stringify(res.body.errors));
    const job = res.body.data.job;
    const rest = (await request(env.app.server).get(`/v1/jobs/${jobId}`).set(env.auth).expect(200)).body;
    for (const field of ['id', 'status', 'datasetId', 'config', 'progress', 'error', 'attempts', 'backend', 'workerId', 'createdAt', 'startedAt', 'finishedAt']) {
      assert.deepEqual(job[field], rest[field], field);
    }
    assert.equal(job.status, 'running');
    assert.equal(job.config.epochs, 4);
    assert.deepEqual(job.metrics.map((m: { step: number }) => m.step), [20, 30]);
    assert.deepEqual(job.checkpoints.map((c: { sizeBytes: number; epoch: number }) => [c.epoch, c.sizeBytes]), [[1, 5_000_000_000]]);
  });

  it('jobs(...) pages and filters like GET /v1/jobs', async () => {
    const ids = [jobId];
    for (let i = 0; i < 2; i++) ids.push((await postJob(env, datasetId)).id);
    const query = `query($cursor: String) { jobs(datasetId: "${datasetId}", limit: 2, cursor: $cursor) { items { id } nextCursor } }`;
    const first = (await gql(query)).body.data.jobs;
    assert.equal(first.items.length, 2);
    assert.ok(first.nextCursor);
    const second = (await gql(query, { cursor: first.nextCursor })).body.data.jobs;
    assert.equal(second.nextCursor, null);
    assert.deepEqual([...first.items, ...second.items].map((j: { id: string }) => j.id), [...ids].reverse());
    const running = (await gql(`{ jobs(status: running) { items { id status } } }`)).body.data.jobs;
    assert.deepEqual(running.items, [{ id: jobId, status: 'running' }]);
  });

  it('dataset(id) and datasets(...) carry the image count and label histogram', async () => {
    const res = await gql(`query($id: ID!) { dataset(id: $id) { id name description imageCount labels { label count } unlabeledCount createdAt } }`, { id: datasetId });
    const dataset = res.body.data.dataset;
    assert.equal(dataset.id, datasetId);
    assert.equal(dataset.imageCount, 4);
    assert.deepEqual(dataset.labels, [{ label: 'cat', count: 2 }, { label: 'dog', count: 1 }]);
    assert.equal(dataset.unlabeledCount, 1);
    assert.ok(!Number.isNaN(Date.parse(dataset.createdAt)));
    const list = (await gql(`{ datasets(limit: 10) { items { id imageCount } nextCursor } }`)).body.data.datasets;
    assert.deepEqual(list.items, [{ id: datasetId, imageCount: 4 }]);
    assert.equal(list.nextCursor, null);
  });

  it('another tenant\'s job and dataset are not found, and never listed', async () => {
    const job = await gql(`query($id: ID!) { job(id: $id) { id } }`, { id: otherJobId });
    assert.equal(job.body.data.job, null);
    assert.equal(job.body.errors[0].extensions.code, 'JOB_NOT_FOUND');
    const dataset = await gql(`query($id: ID!) { dataset(id: $id) { id } }`, { id: otherDatasetId });
    assert.equal(dataset.body.data.dataset, null);
    assert.equal(dataset.body.errors[0].extensions.code, 'DATASET_NOT_FOUND');
    const jobs = (await gql(`{ jobs(limit: 100) { items { id } } }`)).body.data.jobs.items.map((j: { id: string }) => j.id);
    assert.ok(!jobs.includes(otherJobId));
    const foreign = (await gql(`{ jobs(datasetId: "${otherDatasetId}") { items { id } } }`)).body.data.jobs;
    assert.deepEqual(foreign.items, []);
  });

  it('a missing or invalid key is a GraphQL error with the REST code', async () => {
    const missing = await gql(`{ jobs { items { id } } }`, {}, null);
    assert.equal(missing.body.errors[0].extensions.code, 'UNAUTHENTICATED');
    const invalid = await gql(`{ job(id: "${jobId}") { id } }`, {}, { Authorization: 'Bearer ssk_wrong' });
    assert.equal(invalid.body.errors[0].extensions.code, 'INVALID_API_KEY');
    assert.equal(invalid.body.data.job, null);
  });

  it('bad arguments: limit out of range, bad cursor, unknown status', async () => {
    const limit = await gql(`{ jobs(limit: 1000) { items { id } } }`);
    assert.equal(limit.body.errors[0].extensions.code, 'INVALID_ARGUMENT');
    const cursor = await gql(`{ datasets(cursor: "nope") { items { id } } }`);
    assert.equal(cursor.body.errors[0].extensions.code, 'INVALID_CURSOR');
    const status = await request(env.app.server).post('/graphql').set(env.auth).send({ query: `{ jobs(status: paused) { items { id } } }` });
    assert.equal(status.status, 400);
    assert.match(status.body.errors[0].message, /paused/);
  });

  it('serves GraphiQL when the config enables it, and introspection needs no key', async () => {
    await request(env.app.server).get('/graphiql').expect(200);
    const res = await gql(`{ __type(name: "Job") { fields { name } } }`, {}, null);
    assert.ok(res.body.data.__type.fields.some((f: { name: string }) => f.name === 'metrics'));
  });
});
