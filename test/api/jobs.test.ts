import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { PgBoss } from 'pg-boss';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { createDataset, postJob, tenantIdOf } from '../helpers/jobFixtures.ts';
import { startQueue } from '../../src/queue/boss.ts';

describe('POST /v1/jobs and job reads', () => {
  let env: TestEnv;
  let datasetId: string;
  let otherDatasetId: string;
  before(async () => {
    env = await createTestEnv();
    datasetId = await createDataset(env, await tenantIdOf(env, env.apiKey));
    otherDatasetId = await createDataset(env, await tenantIdOf(env, env.otherApiKey));
  });
  after(async () => env.close());

  const api = () => request(env.app.server);
  const queueEntries = async (jobId: string) =>
    (await env.services.pool.query(`SELECT id, state FROM pgboss.job WHERE name = 'train' AND data->>'id' = $1`, [jobId]))
      .rows as Array<{ id: string; state: string }>;

  it('answers 202 with the config defaults filled, after the row and its queue entry are committed', async () => {
    const res = await api().post('/v1/jobs').set(env.auth).send({ datasetId, config: { epochs: 3, batchSize: 2 } }).expect(202);
    assert.match(res.body.id, /^job_/);
    assert.equal(res.headers.location, `/v1/jobs/${res.body.id}`);
    assert.equal(res.body.status, 'queued');
    assert.equal(res.body.datasetId, datasetId);
    assert.equal(res.body.config.epochs, 3);
    // inferred from the dataset's 28x28 grayscale images, echoed back
    assert.equal(res.body.config.backbone, 'resnet-small');
    assert.equal(res.body.config.channels, 1);
    assert.equal(res.body.config.imageSize, 28);
    assert.equal(res.body.config.augment.cropScaleMin, 0.2);
    assert.equal(res.body.config.predictorHiddenDim, 512);
    assert.equal(res.body.config.method, 'simsiam');
    assert.equal(res.body.config.bn, 'default');
    assert.deepEqual(res.body.config.alternation, { every: 1 });
    assert.equal(res.body.attempts, 0);
    assert.ok(!Number.isNaN(Date.parse(res.body.createdAt)));
    assert.equal(res.body.requestHash, undefined, 'bookkeeping columns stay private');
    const row = await env.services.db.job.findUnique({ where: { id: res.body.id } });
    assert.equal(row?.status, 'queued');
    assert.deepEqual((await queueEntries(res.body.id)).map((e) => e.id), [row?.queueJobId]);
  });

  it('a worker on its own queue connection can claim the job right after the 202', async () => {
    const job = await postJob(env, datasetId);
    const worker: PgBoss = await startQueue(env.databaseUrl, { supervise: false });
    try {
      const claimed = await worker.fetch<{ id: string }>('train', { batchSize: 100 });
      assert.ok(claimed.some((c) => c.data.id === job.id), 'the new job is claimable');
    } finally {
      await worker.stop({ graceful: false });
    }
  });

  it('rejects malformed JSON, unknown body fields and a missing datasetId', async () => {
    const malformed = await api().post('/v1/jobs').set(env.auth).set('Content-Type', 'application/json').send('{"datasetId":').expect(400);
    assert.equal(malformed.body.error.code, 'MALFORMED_JSON');
    const extra = await api().post('/v1/jobs').set(env.auth).send({ datasetId, config: {}, priority: 1 }).expect(400);
    assert.equal(extra.body.error.code, 'VALIDATION_ERROR');
    assert.ok(extra.body.error.details.some((d: { field: string }) => d.field === 'priority'));
    const missing = await api().post('/v1/jobs').set(env.auth).send({ config: {} }).expect(400);
    assert.ok(missing.body.error.details.some((d: { field: string }) => d.field === 'datasetId'));
  });

  it('keeps the shape the user gives over the one inferred from the dataset', async () => {
    const config = { backbone: 'resnet-tiny', channels: 3, imageSize: 40, batchSize: 2 };
    const res = await api().post('/v1/jobs').set(env.auth).send({ datasetId, config }).expect(202);
    assert.deepEqual([res.body.config.backbone, res.body.config.channels, res.body.config.imageSize], ['resnet-tiny', 3, 40]);
  });

  it('names the offending config field: unknown, out of range, nested', async () => {
    const cases: Array<[object, string]> = [
      [{ learningRate: 0.1 }, 'config.learningRate'],
      [{ epochs: 0 }, 'config.epochs'],
      [{ batchSize: 1e6 }, 'config.batchSize'],
      [{ augment: { hue: 0.9 } }, 'config.augment.hue'],
      [{ backbone: 'vgg' }, 'config.backbone'],
      [{ method: 'dino' }, 'config.method'],
      [{ predictor: 'moving-average', movingAverageRate: 2 }, 'config.movingAverageRate'],
      [{ alternation: { every: 0 } }, 'config.alternation.every'],
      [{ bn: 'some' }, 'config.bn'],
    ];
    for (const [config, field] of cases) {
      const res = await api().post('/v1/jobs').set(env.auth).send({ datasetId, config }).expect(400);
      assert.equal(res.body.error.code, 'INVALID_JOB_CONFIG');
      assert.deepEqual(res.body.error.details.map((d: { field: string }) => d.field), [field], JSON.stringify(config));
    }
    assert.equal(await env.services.db.job.count({ where: { config: { path: ['epochs'], equals: 0 } } }), 0);
  });

  it('answers 404 DATASET_NOT_FOUND for unknown and foreign datasets, 422 DATASET_EMPTY for an empty one', async () => {
    for (const id of ['ds_nope', otherDatasetId]) {
      const res = await api().post('/v1/jobs').set(env.auth).send({ datasetId: id }).expect(404);
      assert.equal(res.body.error.code, 'DATASET_NOT_FOUND');
    }
    const empty = await createDataset(env, await tenantIdOf(env, env.apiKey), []);
    const res = await api().post('/v1/jobs').set(env.auth).send({ datasetId: empty }).expect(422);
    assert.equal(res.body.error.code, 'DATASET_EMPTY');
    assert.equal(await env.services.db.job.count({ where: { datasetId: empty } }), 0);
    const orphans = await env.services.pool.query(`SELECT count(*)::int AS n FROM pgboss.job j WHERE j.name = 'train' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = j.data->>'id')`);
    assert.equal(orphans.rows[0].n, 0, 'a rejected request leaves no queue entry behind');
  });

  it('snapshots the dataset: images added after the 202 are not part of the job', async () => {
    const tenantId = await tenantIdOf(env, env.apiKey);
    const growing = await createDataset(env, tenantId, ['a', 'b', 'c']);
    const seqs = async () => (await env.services.db.image.findMany({ where: { datasetId: growing }, select: { seq: true }, orderBy: { seq: 'asc' } })).map((i) => i.seq);
    const job = await postJob(env, growing);
    const atCreation = await seqs();
    const more = await createDataset(env, tenantId, ['d']);
    await env.services.db.image.updateMany({ where: { datasetId: more }, data: { datasetId: growing } });
    assert.equal((await seqs()).length, 4);
    const row = await env.services.db.job.findUnique({ where: { id: job.id } });
    assert.equal(row?.imageSeqMax, atCreation.at(-1));
  });

  it('needs a valid API key', async () => {
    const missing = await api().post('/v1/jobs').send({ datasetId }).expect(401);
    assert.equal(missing.body.error.code, 'UNAUTHENTICATED');
    const wrong = await api().get('/v1/jobs').set('Authorization', 'Bearer ssk_wrong').expect(401);
    assert.equal(wrong.body.error.code, 'INVALID_API_KEY');
  });

  describe('Idempotency-Key', () => {
    it('a retry of the same request returns the same job and enqueues nothing more', async () => {
      const send = (config: object) =>
        api().post('/v1/jobs').set(env.auth).set('Idempotency-Key', 'retry-1').send({ datasetId, config });
      const first = await send({ epochs: 2, seed: 7, batchSize: 2 }).expect(202);
      assert.equal(first.headers['idempotent-replayed'], undefined);
      // same request with keys in another order
      const again = await send({ batchSize: 2, seed: 7, epochs: 2 }).expect(202);
      assert.equal(again.body.id, first.body.id);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal((await queueEntries(first.body.id)).length, 1);
    });

    it('the same key with a different request is 409 IDEMPOTENCY_KEY_REUSED', async () => {
      const send = (epochs: number) =>
        api().post('/v1/jobs').set(env.auth).set('Idempotency-Key', 'retry-2').send({ datasetId, config: { epochs, batchSize: 2 } });
      await send(2).expect(202);
      const res = await send(3).expect(409);
      assert.equal(res.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
    });

    it('keys are per tenant', async () => {
      const mine = await api().post('/v1/jobs').set(env.auth).set('Idempotency-Key', 'shared').send({ datasetId, config: { batchSize: 2 } }).expect(202);
      const theirs = await api()
        .post('/v1/jobs')
        .set(env.otherAuth)
        .set('Idempotency-Key', 'shared')
        .send({ datasetId: otherDatasetId, config: { batchSize: 2 } })
        .expect(202);
      assert.notEqual(mine.body.id, theirs.body.id);
    });

    it('concurrent retries make one job and one queue entry', async () => {
      const responses = await Promise.all(
        Array.from({ length: 8 }, () =>
          api().post('/v1/jobs').set(env.auth).set('Idempotency-Key', 'race').send({ datasetId, config: { epochs: 5, batchSize: 2 } }),
        ),
      );
      assert.deepEqual(responses.map((r) => r.status), Array(8).fill(202));
      const ids = new Set(responses.map((r) => r.body.id));
      assert.equal(ids.size, 1);
      const [id] = ids;
      assert.equal(await env.services.db.job.count({ where: { idempotencyKey: 'race' } }), 1);
      assert.equal((await queueEntries(id!)).length, 1);
    });
  });

  describe('GET /v1/jobs/:id', () => {
    it('returns status, progress, error, attempts, backend, worker and timestamps', async () => {
      const job = await postJob(env, datasetId);
      await env.services.db.job.update({
        where: { id: job.id },
        data: { status: 'failed', progress: { epoch: 1, step: 10 }, error: { code: 'OOM', message: 'heap' }, attempts: 2, backend: 'wasm', workerId: 'w1', startedAt: new Date(), finishedAt: new Date() },
      });
      const res = await api().get(`/v1/jobs/${job.id}`).set(env.auth).expect(200);
      assert.equal(res.body.status, 'failed');
      assert.deepEqual(res.body.progress, { epoch: 1, step: 10 });
      assert.deepEqual(res.body.error, { code: 'OOM', message: 'heap' });
      assert.equal(res.body.attempts, 2);
      assert.equal(res.body.backend, 'wasm');
      assert.equal(res.body.workerId, 'w1');
      assert.ok(res.body.startedAt && res.body.finishedAt);
      assert.equal(res.body.config.epochs, 500, 'two images: the few-images default (docs/defaults.md)');
    });

    it('another tenant and unknown ids get 404 JOB_NOT_FOUND', async () => {
      const job = await postJob(env, datasetId);
      for (const [id, auth] of [[job.id, env.otherAuth], ['job_nope', env.auth]] as const) {
        const res = await api().get(`/v1/jobs/${id}`).set(auth).expect(404);
        assert.equal(res.body.error.code, 'JOB_NOT_FOUND');
      }
    });
  });

  describe('GET /v1/jobs', () => {
    it('pages newest first with a cursor and filters by dataset and status', async () => {
      const tenantId = await tenantIdOf(env, env.apiKey);
      const ds = await createDataset(env, tenantId, ['a', 'b']);
      const created = [];
      for (let i = 0; i < 5; i++) created.push((await postJob(env, ds)).id);
      await env.services.db.job.update({ where: { id: created[1] }, data: { status: 'running' } });

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: request.Response = await api()
          .get('/v1/jobs')
          .query({ datasetId: ds, limit: 2, ...(cursor ? { cursor } : {}) })
          .set(env.auth)
          .expect(200);
        assert.ok(res.body.items.length <= 2);
        seen.push(...res.body.items.map((j: { id: string }) => j.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, [...created].reverse());

      const running = await api().get('/v1/jobs').query({ datasetId: ds, status: 'running' }).set(env.auth).expect(200);
      assert.deepEqual(running.body.items.map((j: { id: string }) => j.id), [created[1]]);
      assert.equal(running.body.nextCursor, null);
    });

    it('shows only the caller tenant jobs', async () => {
      const theirs = await postJob(env, otherDatasetId, {}, env.otherAuth);
      const res = await api().get('/v1/jobs').query({ limit: 100 }).set(env.auth).expect(200);
      assert.ok(res.body.items.length > 0);
      assert.ok(!res.body.items.some((j: { id: string }) => j.id === theirs.id));
      const foreignFilter = await api().get('/v1/jobs').query({ datasetId: otherDatasetId }).set(env.auth).expect(200);
      assert.deepEqual(foreignFilter.body.items, []);
    });

    it('rejects a bad cursor, status or limit', async () => {
      const cursor = await api().get('/v1/jobs').query({ cursor: 'garbage' }).set(env.auth).expect(400);
      assert.equal(cursor.body.error.code, 'INVALID_CURSOR');
      await api().get('/v1/jobs').query({ status: 'paused' }).set(env.auth).expect(400);
      await api().get('/v1/jobs').query({ limit: 0 }).set(env.auth).expect(400);
      await api().get('/v1/jobs').query({ limit: 101 }).set(env.auth).expect(400);
    });
  });
});
