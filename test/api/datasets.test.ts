import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { image, makeTar, truncatedImage } from '../ingest/fixtures.ts';
import { keys } from '../../src/storage/keys.ts';
import { readImageBytes } from '../../src/storage/imageBytes.ts';
import { sweepExpiredUploads } from '../../src/ingest/directUpload.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('datasets API', () => {
  let env: TestEnv;
  const api = () => request(env.app.server);
  const newDataset = async (name = 'd') =>
    (await api().post('/v1/datasets').set(env.auth).send({ name }).expect(201)).body.id as string;

  before(async () => {
    env = await createTestEnv();
  });
  after(async () => env.close());

  describe('create, get, list', () => {
    it('creates a dataset', async () => {
      const res = await api().post('/v1/datasets').set(env.auth).send({ name: 'cats', description: 'all cats' }).expect(201);
      assert.match(res.body.id, /^ds_/);
      assert.equal(res.body.name, 'cats');
      assert.equal(res.body.description, 'all cats');
      const got = await api().get(`/v1/datasets/${res.body.id}`).set(env.auth).expect(200);
      assert.deepEqual(
        { imageCount: got.body.imageCount, labels: got.body.labels, unlabeledCount: got.body.unlabeledCount },
        { imageCount: 0, labels: {}, unlabeledCount: 0 },
      );
    });

    it('validates the body and names the field', async () => {
      const missing = await api().post('/v1/datasets').set(env.auth).send({}).expect(400);
      assert.equal(missing.body.error.code, 'VALIDATION_ERROR');
      assert.ok(missing.body.error.details.some((d: { field: string }) => d.field === 'name'));
      const extra = await api().post('/v1/datasets').set(env.auth).send({ name: 'x', colour: 'red' }).expect(400);
      assert.ok(extra.body.error.details.some((d: { field: string }) => d.field === 'colour'));
      const long = await api().post('/v1/datasets').set(env.auth).send({ name: 'x'.repeat(201) }).expect(400);
      assert.ok(long.body.error.details.some((d: { field: string }) => d.field === 'name'));
      await api().post('/v1/datasets').set(env.auth).send({ name: '' }).expect(400);
    });

    it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
      const res = await api().post('/v1/datasets').set(env.auth).set('Content-Type', 'application/json').send('{"name": ').expect(400);
      assert.equal(res.body.error.code, 'MALFORMED_JSON');
    });

    it('pages the list newest first with a cursor', async () => {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await newDataset(`page-${i}`));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: request.Response = await api()
          .get('/v1/datasets')
          .query(cursor ? { limit: 2, cursor } : { limit: 2 })
          .set(env.auth)
          .expect(200);
        assert.ok(res.body.items.length <= 2);
        seen.push(...res.body.items.map((d: { id: string }) => d.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      assert.equal(new Set(seen).size, seen.length, 'no dataset on two pages');
      assert.deepEqual(seen.slice(0, 3), ids.reverse());
      const bad = await api().get('/v1/datasets').query({ cursor: 'nonsense' }).set(env.auth).expect(400);
      assert.equal(bad.body.error.code, 'INVALID_CURSOR');
      await api().get('/v1/datasets').query({ limit: 0 }).set(env.auth).expect(400);
    });

    it('answers 404 DATASET_NOT_FOUND for unknown ids and for other tenants\u2019 datasets on every route', async () => {
      const mine = await newDataset('private');
      const tar = await makeTar([{ name: 'a.png', data: await image(1) }]);
      for (const id of ['ds_unknown', mine]) {
        const auth = id === mine ? env.otherAuth : env.auth;
        const calls = [
          api().get(`/v1/datasets/${id}`).set(auth),
          api().get(`/v1/datasets/${id}/images`).set(auth),
          api().delete(`/v1/datasets/${id}`).set(auth),
          api().post(`/v1/datasets/${id}/archive`).set(auth).set('Content-Type', 'application/x-tar').send(tar),
          api().post(`/v1/datasets/${id}/images`).set(auth).attach('file', await image(1), 'a.png'),
          api().post(`/v1/datasets/${id}/uploads`).set(auth).send({ files: [{ name: 'a.png' }] }),
          api().post(`/v1/datasets/${id}/uploads/up_x/complete`).set(auth),
          api().post(`/v1/datasets/${id}/import`).set(auth).send({ prefix: 'imports/x/' }),
        ];
        for (const [i, call] of calls.entries()) {
          const res = await call;
          assert.equal(res.status, 404, `call ${i} on ${id}`);
          assert.equal(res.body.error.code, 'DATASET_NOT_FOUND');
        }
      }
      const list = await api().get('/v1/datasets').query({ limit: 1000 }).set(env.otherAuth).expect(200);
      assert.ok(!list.body.items.some((d: { id: string }) => d.id === mine));
      await api().get(`/v1/datasets/${mine}`).set(env.auth).expect(200);
    });
  });

  describe('archive upload', () => {
    it('stores an ImageFolder tar, labels by directory and skips what is not a usable image', async () => {
      const id = await newDataset('folder');
      const cat1 = await image(10);
      const truncated = await truncatedImage('jpeg');
      const tar = await makeTar([
        { name: 'cat/', type: 'directory' },
        { name: 'cat/1.png', data: cat1 },
        { name: 'cat/2.png', data: await image(12) },
        { name: 'dog/3.jpg', data: await image(13, 'jpeg') },
        { name: 'train/bird/4.webp', data: await image(14, 'webp') },
        { name: 'top.png', data: await image(15) },
        { name: 'notes.txt', data: 'not an image' },
        { name: 'cat/broken.jpg', data: truncated },
        { name: 'cat/anim.gif', data: await image(16, 'gif') },
        { name: '../escape.png', data: await image(17) },
        { name: '/abs.png', data: await image(18) },
        { name: 'cat/link.png', type: 'symlink', linkname: '/etc/passwd' },
        { name: 'cat/hard.png', type: 'link', linkname: 'cat/1.png' },
        { name: 'cat/pipe', type: 'fifo' },
      ]);
      const res = await api().post(`/v1/datasets/${id}/archive`).set(env.auth).set('Content-Type', 'application/x-tar').send(tar).expect(201);
      assert.equal(res.body.added, 5);
      assert.equal(res.body.duplicates, 0);
      assert.equal(res.body.skippedCount, 8);
      const reasons = Object.fromEntries(res.body.skipped.map((s: { name: string; reason: string }) => [s.name, s.reason]));
      assert.deepEqual(reasons, {
        'notes.txt': 'NOT_AN_IMAGE',
        'cat/broken.jpg': 'CORRUPT_IMAGE',
        'cat/anim.gif': 'UNSUPPORTED_FORMAT',
        '../escape.png': 'PATH_TRAVERSAL',
        '/abs.png': 'PATH_TRAVERSAL',
        'cat/link.png': 'SYMLINK',
        'cat/hard.png': 'SYMLINK',
        'cat/pipe': 'NOT_A_FILE',
      });

      const got = await api().get(`/v1/datasets/${id}`).set(env.auth).expect(200);
      assert.equal(got.body.imageCount, 5);
      assert.deepEqual(got.body.labels, { cat: 2, dog: 1, bird: 1 });
      assert.equal(got.body.unlabeledCount, 1);

      // in one image pack, each row reading back its exact bytes
      const stored = await env.services.db.image.findMany({ where: { datasetId: id } });
      assert.equal(new Set(stored.map((r) => r.s3Key)).size, 1);
      for (const r of stored) assert.equal(sha(await readImageBytes(env.services.blobs, r)), r.sha256);
      assert.deepEqual(await readImageBytes(env.services.blobs, stored.find((r) => r.sha256 === sha(cat1))!), cat1);
      const row = await env.services.db.image.findFirst({ where: { datasetId: id, originalName: 'train/bird/4.webp' } });
      assert.equal(row?.label, 'bird');
      assert.equal(row?.split, 'train');
      assert.equal(row?.format, 'webp');
    });

    it('sniffs gzip whatever the Content-Type says', async () => {
      const tgz = await makeTar([{ name: 'a/1.png', data: await image(20) }, { name: 'b/2.png', data: await image(21) }], { gzip: true });
      for (const contentType of ['application/gzip', 'application/x-gzip', 'application/octet-stream', 'application/x-tar']) {
        const id = await newDataset(`gz-${contentType}`);
        const res = await api().post(`/v1/datasets/${id}/archive`).set(env.auth).set('Content-Type', contentType).send(tgz).expect(201);
        assert.deepEqual(res.body, { added: 2, duplicates: 0, skipped: [], skippedCount: 0 }, contentType);
      }
    });

    it('counts files already in the dataset, or twice in one archive, as duplicates', async () => {
      const id = await newDataset('dups');
      const a = await image(30);
      const b = await image(31);
      const first = await makeTar([{ name: 'x/a.png', data: a }, { name: 'y/a-again.png', data: a }, { name: 'x/b.png', data: b }]);
      const one = await api().post(`/v1/datasets/${id}/archive`).set(env.auth).set('Content-Type', 'application/x-tar').send(first).expect(201);
      assert.deepEqual([one.body.added, one.body.duplicates], [2, 1]);
      const two = await api().post(`/v1/datasets/${id}/archive`).set(env.auth).set('Content-Type', 'application/x-tar').send(first).expect(200);
      assert.deepEqual([two.body.added, two.body.duplicates], [0, 3]);
      // the same bytes in another dataset are not duplicates there
      const other = await newDataset('dups-2');
      const three = await api().post(`/v1/datasets/${other}/archive`).set(env.auth).set('Content-Type', 'application/x-tar').send(first).expect(201);
      assert.deepEqual([three.body.added, three.body.duplicates], [2, 1]);
    });

    it('answers 400 INVALID_ARCHIVE for a body that is not a tar and 415 for other media types', async () => {
      const id = await newDataset('bad-archive');
      const junk = Buffer.alloc(2048, 7);
      const res = await api().post(`/v1/datasets/${id}/archive`).set(env.auth).set('Content-Type', 'application/x-tar').send(junk).expect(400);
      assert.equal(res.body.error.code, 'INVALID_ARCHIVE');
      const badGzip = Buffer.concat([Buffer.from([0x1f, 0x8b]), junk]);
      const gz = await api().post(`/v1/datasets/${id}/archive`).set(env.auth).set('Content-Type', 'application/gzip').send(badGzip).expect(400);
      assert.equal(gz.body.error.code, 'INVALID_ARCHIVE');
      const json = await api().post(`/v1/datasets/${id}/archive`).set(env.auth).send({ not: 'a tar' }).expect(415);
      assert.equal(json.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    });
  });

  describe('images', () => {
    let id: string;
    before(async () => {
      id = await newDataset('listing');
      const entries = [];
      for (let i = 0; i < 7; i++) entries.push({ name: `${i % 2 ? 'odd' : 'even'}/${i}.png`, data: await image(100 + i) });
      await api().post(`/v1/datasets/${id}/archive`).set(env.auth).set('Content-Type', 'application/x-tar').send(await makeTar(entries)).expect(201);
    });

    it('pages images by cursor', async () => {
      const names: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: request.Response = await api()
          .get(`/v1/datasets/${id}/images`)
          .query(cursor ? { limit: 3, cursor } : { limit: 3 })
          .set(env.auth)
          .expect(200);
        pages += 1;
        names.push(...res.body.items.map((i: { originalName: string }) => i.originalName));
        cursor = res.body.nextCursor;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual([...names].sort(), ['even/0.png', 'even/2.png', 'even/4.png', 'even/6.png', 'odd/1.png', 'odd/3.png', 'odd/5.png']);
    });

    it('filters by label', async () => {
      const res = await api().get(`/v1/datasets/${id}/images`).query({ label: 'odd' }).set(env.auth).expect(200);
      assert.equal(res.body.items.length, 3);
      assert.ok(res.body.items.every((i: { label: string; width: number }) => i.label === 'odd' && i.width === 8));
      assert.equal(res.body.nextCursor, null);
    });
  });

  describe('multipart upload', () => {
    it('stores each file part; a label field applies to the files after it', async () => {
      const id = await newDataset('multipart');
      const res = await api()
        .post(`/v1/datasets/${id}/images`)
        .set(env.auth)
        .attach('file', await image(200), 'loose.png')
        .field('label', 'cat')
        .attach('file', await image(201, 'jpeg'), 'c1.jpg')
        .attach('file', await image(202, 'webp'), 'c2.webp')
        .field('label', 'dog')
        .attach('file', await image(203), 'd1.png')
        .attach('file', Buffer.from('plain text'), 'readme.txt')
        .expect(201);
      assert.deepEqual(res.body, { added: 4, duplicates: 0, skipped: [{ name: 'readme.txt', reason: 'NOT_AN_IMAGE' }], skippedCount: 1 });
      const got = await api().get(`/v1/datasets/${id}`).set(env.auth).expect(200);
      assert.deepEqual(got.body.labels, { cat: 2, dog: 1 });
      assert.equal(got.body.unlabeledCount, 1);
    });

    it('answers 415 for a non-multipart body', async () => {
      const id = await newDataset('multipart-415');
      await api().post(`/v1/datasets/${id}/images`).set(env.auth).send({ a: 1 }).expect(415);
    });
  });

  describe('direct upload', () => {
    it('presigns PUTs, then validates and stores the staged files on complete', async () => {
      const id = await newDataset('direct');
      const good = await image(300);
      const created = await api()
        .post(`/v1/datasets/${id}/uploads`)
        .set(env.auth)
        .send({ files: [{ name: 'a.png', label: 'cat', contentType: 'image/png' }, { name: 'b.txt' }, { name: 'never-sent.png' }] })
        .expect(201);
      assert.match(created.body.uploadId, /^up_/);
      assert.equal(created.body.files.length, 3);
      const [a, b] = created.body.files;
      const putA = await fetch(a.url, { method: 'PUT', headers: a.headers, body: new Uint8Array(good) });
      assert.equal(putA.status, 200);
      const putB = await fetch(b.url, { method: 'PUT', body: 'hello' });
      assert.equal(putB.status, 200);

      const url = `/v1/datasets/${id}/uploads/${created.body.uploadId}/complete`;
      const done = await api().post(url).set(env.auth).expect(201);
      assert.deepEqual([done.body.added, done.body.duplicates, done.body.skippedCount], [1, 0, 2]);
      const bySkipName = (x: { name: string }, y: { name: string }) => x.name.localeCompare(y.name);
      assert.deepEqual(done.body.skipped.sort(bySkipName), [
        { name: 'b.txt', reason: 'NOT_AN_IMAGE' },
        { name: 'never-sent.png', reason: 'NOT_UPLOADED' },
      ]);
      const got = await api().get(`/v1/datasets/${id}`).set(env.auth).expect(200);
      assert.deepEqual(got.body.labels, { cat: 1 });
      const stored = await env.services.db.image.findFirstOrThrow({ where: { datasetId: id, sha256: sha(good) } });
      assert.deepEqual(await readImageBytes(env.services.blobs, stored), good);
      // staging is cleaned up; completing again answers the stored result
      assert.equal(await env.services.blobs.head(keys.uploadStaging(id, created.body.uploadId, 0)), undefined);
      const again = await api().post(url).set(env.auth).expect(201);
      assert.deepEqual({ ...again.body, skipped: again.body.skipped.sort(bySkipName) }, done.body);
      const unknown = await api().post(`/v1/datasets/${id}/uploads/up_nope/complete`).set(env.auth).expect(404);
      assert.equal(unknown.body.error.code, 'UPLOAD_NOT_FOUND');
    });

    it('an upload that expires uncompleted has its staged files swept and answers 410; live ones are kept', async () => {
      const id = await newDataset('direct-expired');
      const create = async () => (await api().post(`/v1/datasets/${id}/uploads`).set(env.auth).send({ files: [{ name: 'a.png' }] }).expect(201)).body;
      const [stale, live] = [await create(), await create()];
      for (const upload of [stale, live]) {
        const put = await fetch(upload.files[0].url, { method: 'PUT', body: new Uint8Array(await image(310)) });
        assert.equal(put.status, 200);
      }
      await env.services.db.directUpload.update({ where: { id: stale.uploadId }, data: { expiresAt: new Date(Date.now() - 1000) } });

      assert.ok((await sweepExpiredUploads(env.services)) >= 1);
      assert.equal(await env.services.blobs.head(keys.uploadStaging(id, stale.uploadId, 0)), undefined, 'stale staging removed');
      assert.ok(await env.services.blobs.head(keys.uploadStaging(id, live.uploadId, 0)), 'live staging kept');
      assert.equal((await env.services.db.directUpload.findUniqueOrThrow({ where: { id: stale.uploadId } })).status, 'expired');
      const gone = await api().post(`/v1/datasets/${id}/uploads/${stale.uploadId}/complete`).set(env.auth).expect(410);
      assert.equal(gone.body.error.code, 'UPLOAD_EXPIRED');
      const done = await api().post(`/v1/datasets/${id}/uploads/${live.uploadId}/complete`).set(env.auth).expect(201);
      assert.equal(done.body.added, 1);
    });

    it('validates the file list', async () => {
      const id = await newDataset('direct-bad');
      await api().post(`/v1/datasets/${id}/uploads`).set(env.auth).send({ files: [] }).expect(400);
      const res = await api()
        .post(`/v1/datasets/${id}/uploads`)
        .set(env.auth)
        .send({ files: [{ name: 'a.gif', contentType: 'image/gif' }] })
        .expect(400);
      assert.equal(res.body.error.code, 'VALIDATION_ERROR');
    });
  });

  describe('prefix import', () => {
    it('registers an ImageFolder prefix of the bucket', async () => {
      const id = await newDataset('import');
      const { blobs } = env.services;
      const ns = `imports/${env.tenantId}`;
      await blobs.put(`${ns}/set1/cat/1.png`, await image(400));
      await blobs.put(`${ns}/set1/cat/2.png`, await image(401));
      await blobs.put(`${ns}/set1/dog/3.jpg`, await image(402, 'jpeg'));
      await blobs.put(`${ns}/set1/readme.md`, 'hello');
      await blobs.put(`${ns}/set10/cat/9.png`, await image(403)); // a sibling prefix, not below set1/
      const res = await api().post(`/v1/datasets/${id}/import`).set(env.auth).send({ prefix: 'set1' }).expect(201);
      assert.deepEqual(res.body, { added: 3, duplicates: 0, skipped: [{ name: 'readme.md', reason: 'NOT_AN_IMAGE' }], skippedCount: 1 });
      const got = await api().get(`/v1/datasets/${id}`).set(env.auth).expect(200);
      assert.deepEqual(got.body.labels, { cat: 2, dog: 1 });
    });

    it('refuses other namespaces, traversal and empty prefixes', async () => {
      const id = await newDataset('import-bad');
      for (const [prefix, code, status] of [
        ['images/', 'PREFIX_NOT_FOUND', 404],
        ['imports/ten_other/x/', 'PREFIX_FORBIDDEN', 403],
        ['imports/../images', 'INVALID_PREFIX', 400],
        ['/', 'INVALID_PREFIX', 400],
        ['nothing-here/', 'PREFIX_NOT_FOUND', 404],
      ] as const) {
        const res = await api().post(`/v1/datasets/${id}/import`).set(env.auth).send({ prefix });
        assert.equal(res.status, status, prefix);
        assert.equal(res.body.error.code, code, prefix);
      }
    });
  });

  describe('delete', () => {
    it('refuses with 409 while a queued or running job uses the dataset, then deletes', async () => {
      const id = await newDataset('in-use');
      await api()
        .post(`/v1/datasets/${id}/archive`)
        .set(env.auth)
        .set('Content-Type', 'application/x-tar')
        .send(await makeTar([{ name: 'a/1.png', data: await image(500) }]))
        .expect(201);
      const tenantId = (await env.services.db.dataset.findUniqueOrThrow({ where: { id } })).tenantId;
      const job = await env.services.db.job.create({ data: { id: 'job_test_running', tenantId, datasetId: id, config: {}, status: 'running' } });
      const refused = await api().delete(`/v1/datasets/${id}`).set(env.auth).expect(409);
      assert.equal(refused.body.error.code, 'DATASET_IN_USE');
      await env.services.db.job.update({ where: { id: job.id }, data: { status: 'queued' } });
      await api().delete(`/v1/datasets/${id}`).set(env.auth).expect(409);

      await env.services.db.job.update({ where: { id: job.id }, data: { status: 'succeeded' } });
      await api().delete(`/v1/datasets/${id}`).set(env.auth).expect(204);
      await api().get(`/v1/datasets/${id}`).set(env.auth).expect(404);
      assert.equal(await env.services.db.image.count({ where: { datasetId: id } }), 0);
      // the job keeps its dataset id as history
      assert.equal((await env.services.db.job.findUnique({ where: { id: job.id } }))?.datasetId, id);
    });

    /** A dataset with one image, and a pg transaction started by the test (a concurrent writer). */
    async function datasetAndTransaction(name: string) {
      const id = await newDataset(name);
      await api().post(`/v1/datasets/${id}/archive`).set(env.auth).set('Content-Type', 'application/x-tar')
        .send(await makeTar([{ name: 'a/1.png', data: await image(501) }])).expect(201);
      const client = await env.services.pool.connect();
      await client.query('BEGIN');
      return { id, client };
    }

    /** Sends the request now and reports whether it is still waiting after a moment. */
    async function startAndCheckBlocked(req: request.Test) {
      let settled = false;
      const pending = req.then((res) => ((settled = true), res));
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { pending, blocked: !settled };
    }

    it('a job created while the dataset is being deleted waits for the delete and then gets 404, never a job on a deleted dataset', async () => {
      const { id, client } = await datasetAndTransaction('deleted-under-job');
      try {
        // the delete's critical section, held open: the row lock, then the delete itself
        await client.query('SELECT id FROM datasets WHERE id = $1 FOR UPDATE', [id]);
        const { pending, blocked } = await startAndCheckBlocked(api().post('/v1/jobs').set(env.auth).send({ datasetId: id }));
        assert.ok(blocked, 'job creation must wait for the dataset lock');
        await client.query('DELETE FROM datasets WHERE id = $1', [id]);
        await client.query('COMMIT');
        const res = await pending;
        assert.equal(res.status, 404);
        assert.equal(res.body.error.code, 'DATASET_NOT_FOUND');
        assert.equal(await env.services.db.job.count({ where: { datasetId: id } }), 0);
      } finally {
        client.release();
      }
    });

    it('a delete while a job on the dataset is being created waits for it and then answers 409', async () => {
      const { id, client } = await datasetAndTransaction('job-under-delete');
      try {
        // job creation's critical section, held open: the shared lock, then the job row
        await client.query('SELECT id FROM datasets WHERE id = $1 FOR SHARE', [id]);
        const tenantId = (await env.services.db.dataset.findUniqueOrThrow({ where: { id } })).tenantId;
        await client.query(`INSERT INTO jobs (id, tenant_id, dataset_id, config, status, created_at, updated_at) VALUES ('job_race_1', $1, $2, '{}', 'queued', now(), now())`, [tenantId, id]);
        const { pending, blocked } = await startAndCheckBlocked(api().delete(`/v1/datasets/${id}`).set(env.auth));
        assert.ok(blocked, 'the delete must wait for the job-creating transaction');
        await client.query('COMMIT');
        const res = await pending;
        assert.equal(res.status, 409);
        assert.equal(res.body.error.code, 'DATASET_IN_USE');
        await api().get(`/v1/datasets/${id}`).set(env.auth).expect(200);
      } finally {
        client.release();
      }
    });
  });
});
