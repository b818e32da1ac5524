// An experiment whose jobs end without a worker (cancelled while queued, deleted) still reaches
// `finished` once every row is final. Real PostgreSQL + s3rver; no worker runs, so the jobs stay
// queued until the API ends them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { seedLabeledDataset } from '../helpers/images.ts';
import { TINY } from '../helpers/trainedJob.ts';

describe('experiments whose jobs the API ends', () => {
  let env: TestEnv;
  let datasetId: string;
  const api = () => request(env.app.server);
  const experiment = async (id: string) => (await api().get(`/v1/experiments/${id}`).set(env.auth).expect(200)).body;
  const start = async (names: string[]) =>
    (await api().post('/v1/experiments').set(env.auth).send({ datasetId, runs: names.map((name) => ({ name, config: TINY })) }).expect(202)).body as {
      id: string;
      rows: Array<{ jobId: string }>;
    };

  before(async () => {
    env = await createTestEnv();
    datasetId = await seedLabeledDataset(env.services, env.tenantId, 4, 16);
  });
  after(async () => {
    await env?.close();
  });

  it('every job cancelled while queued: finished once the last one is', async () => {
    const { id, rows } = await start(['a', 'b']);
    await api().post(`/v1/jobs/${rows[0]!.jobId}/cancel`).set(env.auth).expect(200);
    const half = await experiment(id);
    assert.equal(half.status, 'running', 'one job is still queued');
    assert.equal(half.finishedRows, 1);

    await api().post(`/v1/jobs/${rows[1]!.jobId}/cancel`).set(env.auth).expect(200);
    const done = await experiment(id);
    assert.equal(done.status, 'finished');
    assert.ok(done.finishedAt);
    assert.deepEqual(done.rows.map((r: { status: string }) => r.status), ['cancelled', 'cancelled']);
  });

  it('its only job deleted while queued: finished, the row showing the job gone', async () => {
    const { id, rows } = await start(['c']);
    await api().delete(`/v1/jobs/${rows[0]!.jobId}`).set(env.auth).expect(204);
    const done = await experiment(id);
    assert.equal(done.status, 'finished');
    assert.deepEqual(done.rows.map((r: { status: string }) => r.status), ['failed']);
  });
});
