// Deletes that free storage, on real PostgreSQL, s3rver, pg-boss and an in-process worker: a trained
// job's evaluation, embedding set, the job and the dataset are deleted and the bucket is back at its
// baseline; running work is cancelled first or refused; image blobs shared by content stay while
// referenced and survive a concurrent upload of the same bytes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import pino from 'pino';
import { api, assertAlive, assertError, bucketKeys, rowCounts } from './helpers.ts';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { createDataset, markRunning, postJob } from '../helpers/jobFixtures.ts';
import { patternPng } from '../helpers/images.ts';
import { waitFor } from '../helpers/waitFor.ts';
import { TINY } from '../helpers/trainedJob.ts';
import { startWorker, type WorkerHandle } from '../../workers/worker.ts';
import type { AppError } from '../../src/errors/catalogue.ts';
import { deleteJob } from '../../src/domain/deletion.ts';
import { newId } from '../../src/domain/ids.ts';
import { keys } from '../../src/storage/keys.ts';
import { BOOTSTRAP_SCOPES, createTenant, generateApiKey } from '../../src/domain/tenants.ts';
import { blobLeases, collectImageBlobs, markCandidates } from '../../src/storage/blobGc.ts';

type Auth = { Authorization: string };

describe('deletes that free storage', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => env.close());

  let sizes = 12;
  /** Distinct PNGs (each its own size), uploaded through the multipart route with labels. */
  async function uploadLabeled(auth: Auth, datasetId: string, classes: number, perClass: number) {
    let req = api(env).post(`/v1/datasets/${datasetId}/images`).set(auth);
    for (let c = 0; c < classes; c++) {
      req = req.field('label', `class-${c}`);
      for (let i = 0; i < perClass; i++) req = req.attach('file', await patternPng(c, i, sizes++), `${c}-${i}.png`);
    }
    const res = await req;
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { added: number };
  }
  const newDataset = async (auth: Auth = env.auth) => (await api(env).post('/v1/datasets').set(auth).send({ name: 'd' }).expect(201)).body.id as string;
  const settle = (path: string) =>
    waitFor(path, async () => {
      const body = (await api(env).get(path).set(env.auth).expect(200)).body;
      return ['succeeded', 'failed', 'cancelled'].includes(body.status) ? body : undefined;
    }, 300_000);

  describe('a trained job and everything it made', () => {
    let worker: WorkerHandle;
    let baseline: string[];
    let datasetId: string;
    let jobId: string;
    let setId: string;
    let evaluationId: string;

    before(async () => {
      baseline = await bucketKeys(env);
      worker = await startWorker(env.services, pino({ level: 'silent' }), { backend: 'wasm', reportIntervalMs: 1000 });
      datasetId = await newDataset();
      assert.equal((await uploadLabeled(env.auth, datasetId, 2, 16)).added, 32);
      jobId = (await postJob(env, datasetId, TINY)).id;
      assert.equal((await settle(`/v1/jobs/${jobId}`)).status, 'succeeded');
      setId = (await api(env).post(`/v1/jobs/${jobId}/embeddings`).set(env.auth).send({ datasetId }).expect(202)).body.id;
      assert.equal((await settle(`/v1/embeddings/${setId}`)).status, 'succeeded');
      evaluationId = (await api(env).post(`/v1/jobs/${jobId}/linear-probe`).set(env.auth).send({ datasetId, splitFraction: 0.5 }).expect(202)).body.id;
      assert.equal((await settle(`/v1/evaluations/${evaluationId}`)).status, 'succeeded');
    });
    after(async () => worker?.stop());

    it('the job left checkpoints, a model, embeddings and the image pack in the bucket', async () => {
      const added = (await bucketKeys(env)).filter((k) => !baseline.includes(k));
      // the 32 images of one request fit one pack
      assert.equal(added.filter((k) => k.startsWith('images/')).length, 1);
      assert.ok(added.includes(keys.checkpoint(jobId, 0, 0, true)));
      assert.ok(added.includes(keys.modelExport(jobId, 'model.json')));
      assert.ok(added.includes(keys.embeddingVectors(setId)));
      assert.ok(added.includes(keys.embeddingRows(setId)));
    });

    it('another tenant cannot delete any of it (404) and nothing goes', async () => {
      const before = await bucketKeys(env);
      assertError(await api(env).delete(`/v1/evaluations/${evaluationId}`).set(env.otherAuth), 404, 'EVALUATION_NOT_FOUND');
      assertError(await api(env).delete(`/v1/embeddings/${setId}`).set(env.otherAuth), 404, 'EMBEDDING_SET_NOT_FOUND');
      assertError(await api(env).delete(`/v1/jobs/${jobId}`).set(env.otherAuth), 404, 'JOB_NOT_FOUND');
      assertError(await api(env).delete(`/v1/datasets/${datasetId}`).set(env.otherAuth), 404, 'DATASET_NOT_FOUND');
      assert.deepEqual(await bucketKeys(env), before);
      await api(env).get(`/v1/evaluations/${evaluationId}`).set(env.auth).expect(200);
    });

    it('DELETE /v1/evaluations/:id removes the evaluation', async () => {
      await api(env).delete(`/v1/evaluations/${evaluationId}`).set(env.auth).expect(204);
      assertError(await api(env).get(`/v1/evaluations/${evaluationId}`).set(env.auth), 404, 'EVALUATION_NOT_FOUND');
      assertError(await api(env).delete(`/v1/evaluations/${evaluationId}`).set(env.auth), 404, 'EVALUATION_NOT_FOUND');
    });

    it('DELETE /v1/embeddings/:id removes the set and its vectors and rows objects', async () => {
      await api(env).delete(`/v1/embeddings/${setId}`).set(env.auth).expect(204);
      assertError(await api(env).get(`/v1/embeddings/${setId}`).set(env.auth), 404, 'EMBEDDING_SET_NOT_FOUND');
      assert.deepEqual((await bucketKeys(env)).filter((k) => k.startsWith(keys.embeddingPrefix(setId))), []);
    });

    it('DELETE /v1/jobs/:id removes checkpoints, metrics, the model and the job\'s other sets', async () => {
      const second = (await api(env).post(`/v1/jobs/${jobId}/embeddings`).set(env.auth).send({ datasetId }).expect(202)).body.id;
      assert.equal((await settle(`/v1/embeddings/${second}`)).status, 'succeeded');
      assert.ok((await env.services.db.metricPoint.count({ where: { jobId } })) > 0);
      await api(env).delete(`/v1/jobs/${jobId}`).set(env.auth).expect(204);
      assertError(await api(env).get(`/v1/jobs/${jobId}`).set(env.auth), 404, 'JOB_NOT_FOUND');
      assert.equal(await env.services.db.checkpoint.count({ where: { jobId } }), 0);
      assert.equal(await env.services.db.metricPoint.count({ where: { jobId } }), 0);
      assert.equal(await env.services.db.embeddingSet.count({ where: { jobId } }), 0);
      const left = (await bucketKeys(env)).filter((k) => k.startsWith(keys.jobPrefix(jobId)) || k.startsWith(keys.embeddingPrefix(second)));
      assert.deepEqual(left, []);
    });

    it('DELETE /v1/datasets/:id removes its rows and blobs: the bucket is back at its baseline', async () => {
      await api(env).delete(`/v1/datasets/${datasetId}`).set(env.auth).expect(204);
      assert.equal(await env.services.db.image.count({ where: { datasetId } }), 0);
      assert.deepEqual(await bucketKeys(env), baseline);
      await assertAlive(env);
    });
  });

  describe('unfinished work', () => {
    it('a queued job is cancelled, its queue entry too, then deleted', async () => {
      const ds = await createDataset(env, env.tenantId);
      const job = await postJob(env, ds);
      const row = await env.services.db.job.findUniqueOrThrow({ where: { id: job.id } });
      await api(env).delete(`/v1/jobs/${job.id}`).set(env.auth).expect(204);
      assert.equal(await env.services.db.job.count({ where: { id: job.id } }), 0);
      const queue = await env.services.pool.query(`SELECT state FROM pgboss.job WHERE id::text = $1`, [row.queueJobId]);
      assert.equal(queue.rows[0]?.state, 'cancelled');
    });

    it('a running job is asked to stop first and deleted once its worker has stopped', async () => {
      const ds = await createDataset(env, env.tenantId);
      const job = await postJob(env, ds);
      await markRunning(env, job.id);
      // what a worker does: see the cancel request, stop, record `cancelled`
      const stoppedBy = (async () => {
        const requested = await waitFor('cancel request', async () => {
          const r = await env.services.db.job.findUnique({ where: { id: job.id } });
          return r?.cancelRequestedAt ?? undefined;
        }, 20_000, 50);
        await env.services.db.job.update({ where: { id: job.id }, data: { status: 'cancelled', finishedAt: new Date() } });
        return requested;
      })();
      await api(env).delete(`/v1/jobs/${job.id}`).set(env.auth).expect(204);
      assert.ok(await stoppedBy, 'cancellation was requested before the delete');
      assert.equal(await env.services.db.job.count({ where: { id: job.id } }), 0);
    });

    it('a running job whose worker does not stop is refused with 409 JOB_STILL_RUNNING and kept', async () => {
      const ds = await createDataset(env, env.tenantId);
      const job = await postJob(env, ds);
      await markRunning(env, job.id);
      await assert.rejects(deleteJob(env.services, env.tenantId, job.id, { stopWaitMs: 300 }), (err: AppError) => {
        assert.equal(err.statusCode, 409);
        assert.equal(err.code, 'JOB_STILL_RUNNING');
        return true;
      });
      const row = await env.services.db.job.findUniqueOrThrow({ where: { id: job.id } });
      assert.ok(row.cancelRequestedAt, 'cancellation stays requested');
    });

    it('a job whose embedding set is being computed is refused with 409 EMBEDDINGS_RUNNING; nothing is deleted', async () => {
      const ds = await createDataset(env, env.tenantId);
      const job = await postJob(env, ds);
      await env.services.db.job.update({ where: { id: job.id }, data: { status: 'succeeded', finishedAt: new Date() } });
      const ckpt = await env.services.db.checkpoint.create({
        data: { id: newId('ckpt'), jobId: job.id, epoch: 0, step: 1, s3Key: keys.checkpoint(job.id, 0, 1, true), sizeBytes: 4n, isFinal: true },
      });
      await env.services.blobs.put(ckpt.s3Key, 'ckpt');
      const set = await env.services.db.embeddingSet.create({
        data: { id: newId('emb'), tenantId: env.tenantId, jobId: job.id, checkpointId: ckpt.id, datasetId: ds, status: 'running' },
      });
      const before = await rowCounts(env);
      assertError(await api(env).delete(`/v1/jobs/${job.id}`).set(env.auth), 409, 'EMBEDDINGS_RUNNING');
      assertError(await api(env).delete(`/v1/embeddings/${set.id}`).set(env.auth), 409, 'EMBEDDINGS_RUNNING');
      assert.deepEqual(await rowCounts(env), before);
      assert.ok(await env.services.blobs.head(ckpt.s3Key));
      await env.services.db.embeddingSet.update({ where: { id: set.id }, data: { status: 'failed' } });
      await api(env).delete(`/v1/jobs/${job.id}`).set(env.auth).expect(204);
      assert.equal(await env.services.blobs.head(ckpt.s3Key), undefined);
    });

    it('a dataset used by a queued job is refused with 409 and keeps its rows and blobs', async () => {
      const ds = await newDataset();
      await uploadLabeled(env.auth, ds, 1, 2);
      await postJob(env, ds);
      const blobs = (await bucketKeys(env)).filter((k) => k.startsWith('images/'));
      assertError(await api(env).delete(`/v1/datasets/${ds}`).set(env.auth), 409, 'DATASET_IN_USE');
      assert.equal(await env.services.db.image.count({ where: { datasetId: ds } }), 2);
      assert.deepEqual((await bucketKeys(env)).filter((k) => k.startsWith('images/')), blobs);
    });

    it('unknown ids answer 404 with their own codes', async () => {
      assertError(await api(env).delete('/v1/jobs/job_nope').set(env.auth), 404, 'JOB_NOT_FOUND');
      assertError(await api(env).delete('/v1/embeddings/emb_nope').set(env.auth), 404, 'EMBEDDING_SET_NOT_FOUND');
      assertError(await api(env).delete('/v1/evaluations/eval_nope').set(env.auth), 404, 'EVALUATION_NOT_FOUND');
    });
  });

  describe('image blob garbage collection', () => {
    const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    /** The object holding a dataset's copy of these bytes, if it still exists. */
    const objectOf = async (datasetId: string, bytes: Buffer) => {
      const row = await env.services.db.image.findFirstOrThrow({ where: { datasetId, sha256: sha(bytes) } });
      return { key: row.s3Key, stored: await env.services.blobs.head(row.s3Key) };
    };

    it('an object of the layout before packs, shared by two tenants\' datasets, stays until the last one is deleted', async () => {
      const png = await patternPng(2, 1, 77);
      const key = keys.image(sha(png));
      await env.services.blobs.put(key, png, 'image/png');
      const mine = await newDataset();
      const theirs = await newDataset(env.otherAuth);
      for (const datasetId of [mine, theirs]) {
        await env.services.db.image.create({
          data: { id: newId('img'), datasetId, s3Key: key, sha256: sha(png), format: 'png', width: 20, height: 20, channels: 1, bytes: png.length, originalName: 'a.png' },
        });
      }
      await api(env).delete(`/v1/datasets/${mine}`).set(env.auth).expect(204);
      assert.ok(await env.services.blobs.head(key), 'still referenced by the other tenant');
      await api(env).delete(`/v1/datasets/${theirs}`).set(env.otherAuth).expect(204);
      assert.equal(await env.services.blobs.head(key), undefined);
    });

    it('an image pack goes with the dataset whose rows reference it', async () => {
      const ds = await newDataset();
      await uploadLabeled(env.auth, ds, 2, 3);
      const packs = new Set((await env.services.db.image.findMany({ where: { datasetId: ds } })).map((r) => r.s3Key));
      assert.equal(packs.size, 1);
      const [pack] = packs;
      assert.ok(pack!.startsWith('images/packs/') && (await env.services.blobs.head(pack!)));
      await api(env).delete(`/v1/datasets/${ds}`).set(env.auth).expect(204);
      assert.equal(await env.services.blobs.head(pack!), undefined);
    });

    it('an upload in flight holds its object against the collector; released unstored, the object goes', async () => {
      const key = keys.imagePack(newId('up'));
      const leases = blobLeases(env.services.pool);
      await leases.take(key);
      await env.services.blobs.put(key, await patternPng(1, 3, 91));
      await markCandidates(env.services.pool, [key]);
      await collectImageBlobs(env.services);
      assert.ok(await env.services.blobs.head(key), 'leased: kept');
      await leases.release([key], false);
      await collectImageBlobs(env.services);
      assert.equal(await env.services.blobs.head(key), undefined, 'released without a row: collected');
    });

    it('an expired lease no longer protects an object', async () => {
      const key = keys.imagePack(newId('up'));
      await env.services.blobs.put(key, await patternPng(0, 5, 93));
      await env.services.pool.query(`INSERT INTO blob_leases (s3_key, lease_id, expires_at) VALUES ($1, 'dead-upload', now() - interval '1 hour')`, [key]);
      await collectImageBlobs(env.services);
      assert.equal(await env.services.blobs.head(key), undefined);
      assert.equal((await env.services.pool.query('SELECT count(*)::int AS n FROM blob_leases WHERE s3_key = $1', [key])).rows[0].n, 0);
    });

    it('deleting a dataset while the same bytes are uploaded elsewhere never leaves a row without its object', async () => {
      for (let round = 0; round < 8; round++) {
        const png = await patternPng(round % 3, round, 100 + round);
        const doomed = await newDataset();
        const keeper = await newDataset();
        await api(env).post(`/v1/datasets/${doomed}/images`).set(env.auth).attach('file', png, 'x.png').expect(201);
        const [del, up] = await Promise.all([
          api(env).delete(`/v1/datasets/${doomed}`).set(env.auth),
          new Promise((r) => setTimeout(r, round * 7)).then(() => api(env).post(`/v1/datasets/${keeper}/images`).set(env.auth).attach('file', png, 'x.png')),
        ]);
        assert.equal(del.status, 204);
        assert.equal(up.status, 201, JSON.stringify(up.body));
        const kept = await objectOf(keeper, png);
        assert.ok(kept.stored, `round ${round}: the kept dataset's object exists`);
        await api(env).delete(`/v1/datasets/${keeper}`).set(env.auth).expect(204);
        assert.equal(await env.services.blobs.head(kept.key), undefined, `round ${round}: collected once unreferenced`);
      }
    });
  });

  describe('tenant delete', () => {
    it('removes the tenant\'s objects, rows and unshared blobs', async () => {
      const admin = await createTenant(env.services.db, 'ops', generateApiKey(), BOOTSTRAP_SCOPES);
      const doomed = await createTenant(env.services.db, 'doomed');
      const auth = { Authorization: `Bearer ${doomed.apiKey}` };
      const before = await bucketKeys(env);
      const ds = await newDataset(auth);
      await uploadLabeled(auth, ds, 2, 2);
      const job = await postJob(env, ds, {}, auth);
      await env.services.db.job.update({ where: { id: job.id }, data: { status: 'succeeded' } });
      await env.services.blobs.put(keys.checkpoint(job.id, 0, 1, true), 'c');
      await env.services.blobs.put(keys.uploadStaging(ds, 'up_x', 0), 'staged');
      await api(env).delete(`/v1/admin/tenants/${doomed.tenantId}`).set({ Authorization: `Bearer ${admin.apiKey}` }).expect(204);
      assert.deepEqual(await bucketKeys(env), before);
      assert.equal(await env.services.db.dataset.count({ where: { tenantId: doomed.tenantId } }), 0);
      assert.equal(await env.services.db.job.count({ where: { tenantId: doomed.tenantId } }), 0);
    });
  });
});
