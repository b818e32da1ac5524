// The job-status read path (a prepared statement on the raw pool, serialised by a response schema)
// answers exactly what the Prisma read and jobView answer, free-form JSON fields included.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { createDataset, markRunning, postJob, tenantIdOf } from '../helpers/jobFixtures.ts';
import { getJob, jobView, readJobView } from '../../src/domain/jobs.ts';

describe('job status read path', () => {
  let env: TestEnv;
  let tenantId: string;
  let jobId: string;
  const progress = { epoch: 1.5, step: 12, loss: -0.91, knnTop1: null, collapsed: false, kernels: 'native', nested: { a: [1, 2, { b: 'c' }] } };
  const error = { code: 'TRAINING_FAILED', message: 'boom', details: { step: 12 } };

  before(async () => {
    env = await createTestEnv();
    tenantId = await tenantIdOf(env, env.apiKey);
    jobId = (await postJob(env, await createDataset(env, tenantId), { epochs: 3 })).id;
    await markRunning(env, jobId);
    await env.services.db.job.update({ where: { id: jobId }, data: { progress, error, resumedFromEpoch: 1, cancelRequestedAt: new Date() } });
  });
  after(async () => env.close());

  const viaPrisma = async () => JSON.parse(JSON.stringify(jobView(await getJob(env.services.db, tenantId, jobId))));

  it('readJobView equals jobView of the Prisma row, timestamps included', async () => {
    assert.deepEqual(await readJobView(env.services.pool, tenantId, jobId), jobView(await getJob(env.services.db, tenantId, jobId)));
  });

  it('GET /v1/jobs/:id keeps every field and every key of config, progress and error', async () => {
    const res = await request(env.app.server).get(`/v1/jobs/${jobId}`).set(env.auth).expect(200);
    assert.deepEqual(res.body, await viaPrisma());
    assert.deepEqual(res.body.progress, progress);
    assert.deepEqual(res.body.error, error);
    assert.equal(res.body.config.epochs, 3);
    assert.match(res.body.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('GraphQL job(id) answers the same progress', async () => {
    const res = await request(env.app.server)
      .post('/graphql')
      .set(env.auth)
      .send({ query: `{ job(id: "${jobId}") { id status progress error { code message } updatedAt } }` })
      .expect(200);
    assert.equal(res.body.errors, undefined);
    const expected = await viaPrisma();
    assert.deepEqual(res.body.data.job, { id: jobId, status: 'running', progress, error: { code: error.code, message: error.message }, updatedAt: expected.updatedAt });
  });

  it('another tenant\'s job is a 404, in REST and GraphQL', async () => {
    const res = await request(env.app.server).get(`/v1/jobs/${jobId}`).set(env.otherAuth).expect(404);
    assert.equal(res.body.error.code, 'JOB_NOT_FOUND');
    const gql = await request(env.app.server).post('/graphql').set(env.otherAuth).send({ query: `{ job(id: "${jobId}") { id } }` });
    assert.equal(gql.body.errors[0].extensions.code, 'JOB_NOT_FOUND');
  });
});
