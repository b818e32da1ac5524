// POST /v1/experiments end to end (real PostgreSQL + s3rver + in-process wasm worker): 2 runs x 1 seed
// of tiny configs train, get probed, and fill the table (REST and GraphQL); bad requests and foreign
// ids are refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { seedLabeledDataset } from '../helpers/images.ts';
import { waitFor } from '../helpers/waitFor.ts';
import { TINY } from '../helpers/trainedJob.ts';
import { startWorker, type WorkerHandle } from '../../workers/worker.ts';

describe('experiments API', () => {
  let env: TestEnv;
  let worker: WorkerHandle;
  let datasetId: string;
  let experimentId: string;
  const api = () => request(env.app.server);

  before(async () => {
    env = await createTestEnv();
    const tenant = await env.services.db.tenant.findFirstOrThrow({ where: { name: 'tenant-a' } });
    datasetId = await seedLabeledDataset(env.services, tenant.id, 4, 16);
    worker = await startWorker(env.services, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { backend: 'wasm', reportIntervalMs: 1000 });
  });
  after(async () => {
    await worker?.stop();
    await env?.close();
  });

  it('2 runs x 1 seed: the jobs are created before the 202, train, get probed, and the table fills', async (ctx) => {
    const runs = [
      { name: 'simsiam', config: TINY },
      { name: 'simsiam-lr', config: { ...TINY, baseLr: 0.1 } },
    ];
    const res = await api().post('/v1/experiments').set(env.auth).send({ datasetId, runs, seeds: [3] }).expect(202);
    experimentId = res.body.id;
    assert.match(experimentId, /^exp_/);
    assert.equal(res.headers.location, `/v1/experiments/${experimentId}`);
    assert.equal(res.body.rows.length, 2);
    for (const row of res.body.rows) {
      const job = await env.services.db.job.findUnique({ where: { id: row.jobId } });
      assert.ok(job, 'the job row was committed before the 202');
      assert.equal((job!.config as { seed: number }).seed, 3, 'the seed overrides the config');
    }
    const done = await waitFor('experiment', async () => {
      const body = (await api().get(`/v1/experiments/${experimentId}`).set(env.auth).expect(200)).body;
      return body.status === 'finished' ? body : undefined;
    }, 600_000, 1000);
    ctx.diagnostic(JSON.stringify({ rows: done.rows, summary: done.summary }));
    assert.equal(done.finishedRows, 2);
    for (const row of done.rows) {
      assert.equal(row.status, 'succeeded', JSON.stringify(row));
      assert.equal(row.method, 'simsiam');
      assert.equal(row.backbone, 'resnet-tiny');
      assert.ok(row.linearTop1 >= 0 && row.linearTop1 <= 1);
      assert.ok(row.knnTop1 >= 0 && row.knnTop1 <= 1);
      assert.ok(row.collapseStd > 0 && row.wallSeconds > 0 && row.imagesPerSecond > 0);
      assert.ok(row.evaluationId);
    }
    assert.deepEqual(done.summary.map((s: { name: string }) => s.name), ['simsiam', 'simsiam-lr']);
    assert.equal(done.summary[0].metrics.linearTop1.n, 1);
    assert.equal(done.summary[0].metrics.linearTop1.std, 0);
    assert.deepEqual(done.probe, { datasetId, splitFraction: 0.8, seed: 0 });
  });

  it('GraphQL experiment(id) shows the same table', async () => {
    const query = `query($id: ID!) { experiment(id: $id) { id status rows { name seed status linearTop1 knnTop1 jobId } summary { name metrics { linearTop1 { mean std n } } } } }`;
    const res = await api().post('/graphql').set(env.auth).send({ query, variables: { id: experimentId } }).expect(200);
    assert.equal(res.body.errors, undefined, JSON.stringify(res.body.errors));
    const { experiment } = res.body.data;
    assert.equal(experiment.status, 'finished');
    assert.equal(experiment.rows.length, 2);
    assert.equal(typeof experiment.summary[1].metrics.linearTop1.mean, 'number');
    const foreign = await api().post('/graphql').set(env.otherAuth).send({ query, variables: { id: experimentId } }).expect(200);
    assert.equal(foreign.body.errors[0].extensions.code, 'EXPERIMENT_NOT_FOUND');
  });

  it('refuses bad requests naming the field, foreign ids; lists and deletes', async () => {
    const dup = await api().post('/v1/experiments').set(env.auth).send({ datasetId, runs: [{ name: 'a' }, { name: 'a' }] }).expect(400);
    assert.equal(dup.body.error.code, 'INVALID_EXPERIMENT');
    const bad = await api().post('/v1/experiments').set(env.auth).send({ datasetId, runs: [{ name: 'a', config: TINY }, { name: 'b', config: { ...TINY, epochs: 0 } }] }).expect(400);
    assert.equal(bad.body.error.code, 'INVALID_JOB_CONFIG');
    assert.equal(bad.body.error.details[0].field, 'runs.1.config.epochs');
    await api().post('/v1/experiments').set(env.auth).send({ datasetId, runs: [] }).expect(400);
    await api().post('/v1/experiments').set(env.auth).send({ datasetId: 'ds_nope', runs: [{ name: 'a' }] }).expect(404);
    const jobsBefore = await env.services.db.job.count();
    assert.equal(jobsBefore, 2, 'a refused experiment creates no job');

    assert.equal((await api().get(`/v1/experiments/${experimentId}`).set(env.otherAuth).expect(404)).body.error.code, 'EXPERIMENT_NOT_FOUND');
    const list = (await api().get('/v1/experiments').set(env.auth).expect(200)).body;
    assert.deepEqual(list.items.map((e: { id: string }) => e.id), [experimentId]);
    assert.deepEqual((await api().get('/v1/experiments').set(env.otherAuth).expect(200)).body.items, []);
    await api().delete(`/v1/experiments/${experimentId}`).set(env.otherAuth).expect(404);
    await api().delete(`/v1/experiments/${experimentId}`).set(env.auth).expect(204);
    await api().get(`/v1/experiments/${experimentId}`).set(env.auth).expect(404);
    assert.equal(await env.services.db.job.count(), 2, 'its jobs stay');
  });
});
