// Per-tenant quotas: GET /v1/usage, limits an admin sets, QUOTA_EXCEEDED naming the quota, and
// concurrent requests that cannot together pass a limit or leave anything half-added.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertAlive, assertError, bucketKeys, createAdminEnv, rowCounts, type AdminEnv } from './helpers.ts';
import { createDataset, markRunning, postJob } from '../helpers/jobFixtures.ts';
import { patternPng } from '../helpers/images.ts';
import { DEFAULT_QUOTAS } from '../../src/domain/quotas.ts';
import { newId } from '../../src/domain/ids.ts';
import { createTenant } from '../../src/domain/tenants.ts';

describe('quotas', () => {
  let env: AdminEnv;
  before(async () => {
    env = await createAdminEnv();
  });
  afterEach(async () => assertAlive(env));
  after(async () => env.close());

  /** A fresh tenant with these limits, and its auth header. */
  async function tenantWith(quotas: Record<string, number>) {
    const { tenantId, apiKey } = await createTenant(env.services.db, `q-${newId('ten')}`);
    await api(env).patch(`/v1/admin/tenants/${tenantId}`).set(env.adminAuth).send({ quotas }).expect(200);
    return { tenantId, auth: { Authorization: `Bearer ${apiKey}` } };
  }

  const upload = (auth: { Authorization: string }, datasetId: string, files: Array<[Buffer, string]>) => {
    let req = api(env).post(`/v1/datasets/${datasetId}/images`).set(auth);
    for (const [bytes, name] of files) req = req.attach('file', bytes, name);
    return req;
  };
  // every image of the file distinct: each gets its own size
  let sizes = 12;
  const pngs = async (count: number, offset = 0): Promise<Array<[Buffer, string]>> =>
    Promise.all(Array.from({ length: count }, async (_, i) => [await patternPng(i % 3, offset + i, sizes++), `${offset + i}.png`] as [Buffer, string]));
  const imageBlobs = async () => (await bucketKeys(env)).filter((k) => k.startsWith('images/'));

  function assertQuota(res: { status: number; body: { error: { details: Record<string, unknown> } } }, status: number, quota: string, limit: number) {
    assertError(res as never, status, 'QUOTA_EXCEEDED');
    assert.equal(res.body.error.details.quota, quota);
    assert.equal(res.body.error.details.limit, limit);
    assert.equal(typeof res.body.error.details.used, 'number');
  }

  describe('GET /v1/usage', () => {
    it('shows every quota with its use and the default limits', async () => {
      const { auth } = await tenantWith({});
      const res = await api(env).get('/v1/usage').set(auth).expect(200);
      assert.deepEqual(Object.keys(res.body.quotas).sort(), Object.keys(DEFAULT_QUOTAS).sort());
      for (const [name, limit] of Object.entries(DEFAULT_QUOTAS)) {
        assert.deepEqual(res.body.quotas[name], { used: 0, limit }, name);
      }
    });

    it('counts datasets, images, bytes and active jobs, and shows limits an admin set', async () => {
      const { tenantId, auth } = await tenantWith({ images: 50 });
      const ds = (await api(env).post('/v1/datasets').set(auth).send({ name: 'u' }).expect(201)).body.id;
      const files = await pngs(3);
      await upload(auth, ds, files).expect(201);
      await postJob(env, ds, {}, auth);
      const res = await api(env).get('/v1/usage').set(auth).expect(200);
      assert.equal(res.body.tenantId, tenantId);
      assert.deepEqual(res.body.quotas.datasets, { used: 1, limit: DEFAULT_QUOTAS.datasets });
      assert.deepEqual(res.body.quotas.images, { used: 3, limit: 50 });
      assert.equal(res.body.quotas.storageBytes.used, files.reduce((s, [b]) => s + b.length, 0));
      assert.equal(res.body.quotas.activeJobs.used, 1);
    });

    it('needs a key', async () => {
      assertError(await api(env).get('/v1/usage'), 401, 'UNAUTHENTICATED');
    });
  });

  describe('datasets', () => {
    it('refuses the dataset past the quota with 403 and adds no row', async () => {
      const { tenantId, auth } = await tenantWith({ datasets: 2 });
      await api(env).post('/v1/datasets').set(auth).send({ name: 'a' }).expect(201);
      await api(env).post('/v1/datasets').set(auth).send({ name: 'b' }).expect(201);
      const res = await api(env).post('/v1/datasets').set(auth).send({ name: 'c' });
      assertQuota(res, 403, 'datasets', 2);
      assert.equal(res.body.error.details.used, 2);
      assert.equal(await env.services.db.dataset.count({ where: { tenantId } }), 2);
    });

    it('20 concurrent creates against a quota of 5 make exactly 5', async () => {
      const { tenantId, auth } = await tenantWith({ datasets: 5 });
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => api(env).post('/v1/datasets').set(auth).send({ name: `r${i}` })));
      assert.equal(results.filter((r) => r.status === 201).length, 5);
      for (const r of results.filter((r) => r.status !== 201)) assertQuota(r, 403, 'datasets', 5);
      assert.equal(await env.services.db.dataset.count({ where: { tenantId } }), 5);
    });

    it('a deleted dataset frees its place', async () => {
      const { auth } = await tenantWith({ datasets: 1 });
      const ds = (await api(env).post('/v1/datasets').set(auth).send({ name: 'a' }).expect(201)).body.id;
      assertQuota(await api(env).post('/v1/datasets').set(auth).send({ name: 'b' }), 403, 'datasets', 1);
      await api(env).delete(`/v1/datasets/${ds}`).set(auth).expect(204);
      await api(env).post('/v1/datasets').set(auth).send({ name: 'b' }).expect(201);
    });

    it('one tenant at its limit does not limit another', async () => {
      const full = await tenantWith({ datasets: 0 });
      assertQuota(await api(env).post('/v1/datasets').set(full.auth).send({ name: 'x' }), 403, 'datasets', 0);
      await api(env).post('/v1/datasets').set(env.auth).send({ name: 'x' }).expect(201);
    });
  });

  describe('images and storage', () => {
    it('refuses an upload that would pass the image quota whole: no rows, no blobs left behind', async () => {
      const { auth } = await tenantWith({ images: 3 });
      const ds = (await api(env).post('/v1/datasets').set(auth).send({ name: 'i' }).expect(201)).body.id;
      const blobsBefore = await imageBlobs();
      const res = await upload(auth, ds, await pngs(5, 100));
      assertQuota(res, 403, 'images', 3);
      assert.equal(res.body.error.details.added, 0);
      assert.equal(await env.services.db.image.count({ where: { datasetId: ds } }), 0);
      assert.deepEqual(await imageBlobs(), blobsBefore, 'the refused images were collected');
    });

    it('fills up to the limit, then refuses one more; re-sending stored bytes is not new use', async () => {
      const { auth } = await tenantWith({ images: 3 });
      const ds = (await api(env).post('/v1/datasets').set(auth).send({ name: 'i' }).expect(201)).body.id;
      const three = await pngs(3, 200);
      assert.equal((await upload(auth, ds, three).expect(201)).body.added, 3);
      assertQuota(await upload(auth, ds, await pngs(1, 300)), 403, 'images', 3);
      const again = await upload(auth, ds, three).expect(200);
      assert.equal(again.body.duplicates, 3);
      assert.equal(await env.services.db.image.count({ where: { datasetId: ds } }), 3);
    });

    it('counts images across all the tenant\'s datasets', async () => {
      const { auth } = await tenantWith({ images: 2 });
      const a = (await api(env).post('/v1/datasets').set(auth).send({ name: 'a' }).expect(201)).body.id;
      const b = (await api(env).post('/v1/datasets').set(auth).send({ name: 'b' }).expect(201)).body.id;
      await upload(auth, a, await pngs(2, 400)).expect(201);
      assertQuota(await upload(auth, b, await pngs(1, 400)), 403, 'images', 2);
    });

    it('refuses by stored bytes', async () => {
      const files = await pngs(2, 500);
      const { auth } = await tenantWith({ storageBytes: files[0]![0].length + 1 });
      const ds = (await api(env).post('/v1/datasets').set(auth).send({ name: 's' }).expect(201)).body.id;
      await upload(auth, ds, [files[0]!]).expect(201);
      const res = await upload(auth, ds, [files[1]!]);
      assertQuota(res, 403, 'storageBytes', files[0]![0].length + 1);
      assert.equal(res.body.error.details.requested, files[1]![0].length);
    });

    it('two concurrent uploads cannot together pass the quota, and neither is half-added', async () => {
      const { tenantId, auth } = await tenantWith({ images: 4 });
      const ds = (await api(env).post('/v1/datasets').set(auth).send({ name: 'c' }).expect(201)).body.id;
      const [x, y] = await Promise.all([upload(auth, ds, await pngs(3, 600)), upload(auth, ds, await pngs(3, 700))]);
      const statuses = [x.status, y.status].sort();
      assert.deepEqual(statuses, [201, 403]);
      const count = await env.services.pool.query('SELECT count(*)::int AS n FROM images i JOIN datasets d ON d.id = i.dataset_id WHERE d.tenant_id = $1', [tenantId]);
      assert.equal(count.rows[0].n, 3);
      // every row has its blob
      for (const img of await env.services.db.image.findMany({ where: { datasetId: ds } })) {
        assert.ok(await env.services.blobs.head(img.s3Key), `blob of ${img.originalName}`);
      }
    });
  });

  describe('jobs', () => {
    it('refuses the job past activeJobs with 429: no row, no queue entry; a cancel frees the place', async () => {
      const { tenantId, auth } = await tenantWith({ activeJobs: 2 });
      const ds = await createDataset(env, tenantId);
      const first = await postJob(env, ds, {}, auth);
      await postJob(env, ds, {}, auth);
      const queueBefore = (await env.services.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'train'`)).rows[0].n;
      const res = await api(env).post('/v1/jobs').set(auth).send({ datasetId: ds, config: { batchSize: 2 } });
      assertQuota(res, 429, 'activeJobs', 2);
      assert.equal(await env.services.db.job.count({ where: { tenantId } }), 2);
      assert.equal((await env.services.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'train'`)).rows[0].n, queueBefore);
      await api(env).post(`/v1/jobs/${first.id}/cancel`).set(auth).expect(200);
      await postJob(env, ds, {}, auth);
    });

    it('10 concurrent job posts against activeJobs 3 make exactly 3 jobs and 3 queue entries', async () => {
      const { tenantId, auth } = await tenantWith({ activeJobs: 3 });
      const ds = await createDataset(env, tenantId);
      const results = await Promise.all(Array.from({ length: 10 }, () => api(env).post('/v1/jobs').set(auth).send({ datasetId: ds, config: { batchSize: 2 } })));
      assert.equal(results.filter((r) => r.status === 202).length, 3);
      for (const r of results.filter((r) => r.status !== 202)) assertQuota(r, 429, 'activeJobs', 3);
      const ids = (await env.services.db.job.findMany({ where: { tenantId }, select: { id: true } })).map((j) => j.id);
      assert.equal(ids.length, 3);
      const queued = await env.services.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'train' AND data->>'id' = ANY($1)`, [ids]);
      assert.equal(queued.rows[0].n, 3);
    });

    it('an idempotent replay is not a new job, even at the limit', async () => {
      const { tenantId, auth } = await tenantWith({ activeJobs: 1 });
      const ds = await createDataset(env, tenantId);
      const first = await api(env).post('/v1/jobs').set(auth).set('Idempotency-Key', 'k1').send({ datasetId: ds, config: { batchSize: 2 } }).expect(202);
      const replay = await api(env).post('/v1/jobs').set(auth).set('Idempotency-Key', 'k1').send({ datasetId: ds, config: { batchSize: 2 } }).expect(202);
      assert.equal(replay.body.id, first.body.id);
    });

    it('refuses new jobs once the month\'s training minutes are used, also after the job that used them is deleted', async (t) => {
      // usage counts this UTC month only: in its first minutes there are no 3 past minutes to count
      const monthStart = new Date();
      monthStart.setUTCDate(1);
      monthStart.setUTCHours(0, 0, 0, 0);
      if (Date.now() - monthStart.getTime() < 4 * 60_000) return t.skip('the UTC month began less than 4 minutes ago');
      const { tenantId, auth } = await tenantWith({ trainingMinutesPerMonth: 1 });
      const ds = await createDataset(env, tenantId);
      const job = await postJob(env, ds, {}, auth);
      const now = Date.now();
      await env.services.db.job.update({
        where: { id: job.id },
        data: { status: 'succeeded', startedAt: new Date(now - 3 * 60_000), finishedAt: new Date(now) },
      });
      const usage = await api(env).get('/v1/usage').set(auth).expect(200);
      assert.ok(Math.abs(usage.body.quotas.trainingMinutesPerMonth.used - 3) < 0.1, JSON.stringify(usage.body.quotas.trainingMinutesPerMonth));
      assertQuota(await api(env).post('/v1/jobs').set(auth).send({ datasetId: ds, config: { batchSize: 2 } }), 429, 'trainingMinutesPerMonth', 1);
      await api(env).delete(`/v1/jobs/${job.id}`).set(auth).expect(204);
      assertQuota(await api(env).post('/v1/jobs').set(auth).send({ datasetId: ds, config: { batchSize: 2 } }), 429, 'trainingMinutesPerMonth', 1);
      assert.equal(await env.services.db.job.count({ where: { tenantId } }), 0);
    });
  });

  describe('embedding and probe tasks', () => {
    it('refuses the task past concurrentTasks with 429 and adds no row', async () => {
      const { tenantId, auth } = await tenantWith({ concurrentTasks: 1 });
      const ds = await createDataset(env, tenantId, ['a', 'b', 'a', 'b']);
      const job = await postJob(env, ds, {}, auth);
      await markRunning(env, job.id);
      await env.services.db.checkpoint.create({
        data: { id: newId('ckpt'), jobId: job.id, epoch: 0, step: 1, s3Key: `jobs/${job.id}/checkpoints/x.ckpt`, sizeBytes: 10n },
      });
      await api(env).post(`/v1/jobs/${job.id}/embeddings`).set(auth).send({ datasetId: ds }).expect(202);
      const before = await rowCounts(env);
      const probe = await api(env).post(`/v1/jobs/${job.id}/linear-probe`).set(auth).send({ datasetId: ds });
      assertQuota(probe, 429, 'concurrentTasks', 1);
      assert.deepEqual(await rowCounts(env), before);
      // asking again for the existing set is not a new task
      await api(env).post(`/v1/jobs/${job.id}/embeddings`).set(auth).send({ datasetId: ds }).expect(200);
      // a finished task frees its place
      await env.services.db.embeddingSet.updateMany({ where: { jobId: job.id }, data: { status: 'succeeded' } });
      await api(env).post(`/v1/jobs/${job.id}/linear-probe`).set(auth).send({ datasetId: ds }).expect(202);
    });
  });

  describe('admin limits', () => {
    it('a limit of 0 refuses everything of that kind; null puts the default back', async () => {
      const { tenantId, auth } = await tenantWith({ datasets: 0 });
      assertQuota(await api(env).post('/v1/datasets').set(auth).send({ name: 'z' }), 403, 'datasets', 0);
      await api(env).patch(`/v1/admin/tenants/${tenantId}`).set(env.adminAuth).send({ quotas: { datasets: null } }).expect(200);
      await api(env).post('/v1/datasets').set(auth).send({ name: 'z' }).expect(201);
    });

    it('a tenant cannot change its own quotas', async () => {
      const { tenantId, auth } = await tenantWith({ datasets: 1 });
      assertError(await api(env).patch(`/v1/admin/tenants/${tenantId}`).set(auth).send({ quotas: { datasets: 100 } }), 403, 'INSUFFICIENT_SCOPE');
      const usage = await api(env).get('/v1/usage').set(auth).expect(200);
      assert.equal(usage.body.quotas.datasets.limit, 1);
    });
  });
});
