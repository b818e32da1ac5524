// Input that used to answer 500 or nothing: empty archives, NUL characters everywhere, deep JSON,
// forged cursors, over-long labels, fastify's own errors, hostile images on /embed, impossible
// batch sizes. Each case checks the status, the {error:{code,message}} shape, that the server
// still answers, and that nothing was half-added.
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import sharp from 'sharp';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { createDataset, tenantIdOf } from '../helpers/jobFixtures.ts';
import { image, makeTar } from '../ingest/fixtures.ts';
import { newId } from '../../src/domain/ids.ts';
import { resolveTrainingConfig } from '../../src/domain/trainingConfig.ts';
import { MAX_JSON_DEPTH } from '../../src/api/inputHygiene.ts';
import { assertError, assertNoInternals, assertStillAnswers } from './assertions.ts';

function crc32(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const b of buf) {
    let c = (crc ^ b) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** A valid PNG header claiming width×height grey pixels, with a token of image data. */
function hugePng(width = 50_000, height = 50_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(width + 1))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');

describe('input hygiene', () => {
  let env: TestEnv;
  let port: number;
  let datasetId: string;
  let tenantId: string;
  const api = () => request(env.app.server);

  before(async () => {
    env = await createTestEnv();
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    port = (env.app.server.address() as AddressInfo).port;
    tenantId = env.tenantId;
    datasetId = (await api().post('/v1/datasets').set(env.auth).send({ name: 'hygiene' }).expect(201)).body.id;
  });
  after(async () => env.close());

  const counts = async () => ({
    datasets: await env.services.db.dataset.count(),
    images: await env.services.db.image.count(),
    jobs: await env.services.db.job.count(),
  });

  /** The refusal, the shape, no internals, nothing added, a server that still answers. */
  async function refusedCleanly(send: () => Promise<{ status: number; body: unknown }>, status: number, code: string) {
    const before = await counts();
    const res = await send();
    assertError(res, status, code);
    assertNoInternals(res.body);
    assert.deepEqual(await counts(), before);
    await assertStillAnswers(env);
  }

  /** An ingest answer that skipped every file for `reason` and stored nothing. */
  async function skippedCleanly(send: () => Promise<{ status: number; body: any }>, reason: string) {
    const before = await counts();
    const res = await send();
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.added, 0);
    assert.ok(res.body.skipped.length >= 1);
    assert.ok(res.body.skipped.every((s: { reason: string }) => s.reason === reason), JSON.stringify(res.body.skipped));
    assert.deepEqual(await counts(), before);
    await assertStillAnswers(env);
  }

  /** Raw bytes on a socket, for what no HTTP client library will send. */
  function raw(text: string): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(text));
      let data = '';
      socket.on('data', (c) => (data += c.toString()));
      socket.on('error', reject);
      socket.on('close', () => {
        const [head, body = ''] = data.split('\r\n\r\n');
        const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head ?? '')?.[1]);
        try {
          resolve({ status, body: JSON.parse(body) });
        } catch {
          resolve({ status, body });
        }
      });
    });
  }

  describe('empty archives', () => {
    for (const type of ['application/x-tar', 'application/gzip', 'application/octet-stream']) {
      it(`an empty ${type} body is answered 400 EMPTY_ARCHIVE`, async () =>
        refusedCleanly(() => api().post(`/v1/datasets/${datasetId}/archive`).set(env.auth).set('Content-Type', type).send(Buffer.alloc(0)).timeout(5000), 400, 'EMPTY_ARCHIVE'));
    }
    it('a one-byte archive is 400 INVALID_ARCHIVE', async () =>
      refusedCleanly(() => api().post(`/v1/datasets/${datasetId}/archive`).set(env.auth).set('Content-Type', 'application/x-tar').send(Buffer.from([0])).timeout(5000), 400, 'INVALID_ARCHIVE'));
  });

  describe('NUL characters', () => {
    it('in a JSON string value', async () => refusedCleanly(() => api().post('/v1/datasets').set(env.auth).send({ name: 'a\u0000b' }), 400, 'INVALID_CHARACTER'));
    it('in a JSON key', async () => refusedCleanly(() => api().post('/v1/datasets').set(env.auth).send({ name: 'ok', ['x\u0000']: 1 }), 400, 'INVALID_CHARACTER'));
    it('in a dataset description', async () => refusedCleanly(() => api().post('/v1/datasets').set(env.auth).send({ name: 'ok', description: '\u0000' }), 400, 'INVALID_CHARACTER'));
    it('in a job config', async () => refusedCleanly(() => api().post('/v1/jobs').set(env.auth).send({ datasetId, config: { backbone: 'resnet\u0000' } }), 400, 'INVALID_CHARACTER'));
    it('in a job datasetId', async () => refusedCleanly(() => api().post('/v1/jobs').set(env.auth).send({ datasetId: `${datasetId}\u0000` }), 400, 'INVALID_CHARACTER'));
    it('in direct-upload file names', async () =>
      refusedCleanly(() => api().post(`/v1/datasets/${datasetId}/uploads`).set(env.auth).send({ files: [{ name: 'a\u0000.png' }] }), 400, 'INVALID_CHARACTER'));
    it('in a path id (GET)', async () => refusedCleanly(() => api().get('/v1/datasets/ds_%00x').set(env.auth), 400, 'INVALID_CHARACTER'));
    it('in a path id (DELETE)', async () => refusedCleanly(() => api().delete('/v1/datasets/ds_%00x').set(env.auth), 400, 'INVALID_CHARACTER'));
    it('in a path id (jobs)', async () => refusedCleanly(() => api().get('/v1/jobs/job_%00').set(env.auth), 400, 'INVALID_CHARACTER'));
    it('in a path id (archive upload)', async () =>
      refusedCleanly(() => api().post('/v1/datasets/ds%00/archive').set(env.auth).set('Content-Type', 'application/x-tar').send(Buffer.alloc(1024)), 400, 'INVALID_CHARACTER'));
    it('in a query string label', async () => refusedCleanly(() => api().get(`/v1/datasets/${datasetId}/images?label=a%00`).set(env.auth), 400, 'INVALID_CHARACTER'));
    it('in a query string status filter', async () => refusedCleanly(() => api().get('/v1/jobs?datasetId=%00').set(env.auth), 400, 'INVALID_CHARACTER'));
    it('in a query string cursor', async () => refusedCleanly(() => api().get('/v1/datasets?cursor=%00').set(env.auth), 400, 'INVALID_CHARACTER'));
    it('in a multipart label field: the files under it are skipped', async () =>
      skippedCleanly(() => api().post(`/v1/datasets/${datasetId}/images`).set(env.auth).field('label', 'c\u0000t').attach('f', Buffer.from([0x89]), 'a.png').attach('g', Buffer.from('x'), 'b.png').then(async (r) => r), 'INVALID_LABEL').catch(async () => {
        // the label check runs before the probe only for decodable files: use real images
        await skippedCleanly(async () => api().post(`/v1/datasets/${datasetId}/images`).set(env.auth).field('label', 'c\u0000t').attach('f', await image(11), 'a.png'), 'INVALID_LABEL');
      }));
    it('in a multipart file name', async () =>
      skippedCleanly(async () => api().post(`/v1/datasets/${datasetId}/images`).set(env.auth).attach('f', await image(12), 'x\u0000y.png'), 'INVALID_NAME'));
    it('in a tar entry name: the tar format ends the name there, and no NUL is stored', async () => {
      const res = await api().post(`/v1/datasets/${datasetId}/archive`).set(env.auth).set('Content-Type', 'application/x-tar').send(await makeTar([{ name: 'cat/a\u0000b.png', data: await image(13) }]));
      assert.equal(res.status, 201);
      const stored = await env.services.db.image.findMany({ where: { datasetId, label: 'cat' } });
      assert.ok(stored.length >= 1);
      assert.ok(stored.every((i) => !i.originalName.includes('\u0000')));
      await assertStillAnswers(env);
    });
  });

  describe('deep JSON', () => {
    const deep = (n: number, leaf = '1') => `${'{"a":'.repeat(n)}${leaf}${'}'.repeat(n)}`;
    it('a 50 000-deep config object is 400 JSON_TOO_DEEP', async () =>
      refusedCleanly(() => api().post('/v1/jobs').set(env.auth).set('Content-Type', 'application/json').send(`{"datasetId":"${datasetId}","config":${deep(50_000)}}`), 400, 'JSON_TOO_DEEP'));
    it('a 50 000-deep array is 400 JSON_TOO_DEEP', async () =>
      refusedCleanly(() => api().post('/v1/datasets').set(env.auth).set('Content-Type', 'application/json').send(`{"name":${'['.repeat(50_000)}${']'.repeat(50_000)}}`), 400, 'JSON_TOO_DEEP'));
    it('one level over the limit is refused', async () =>
      refusedCleanly(() => api().post('/v1/jobs').set(env.auth).set('Content-Type', 'application/json').send(`{"datasetId":"${datasetId}","config":${deep(MAX_JSON_DEPTH)}}`), 400, 'JSON_TOO_DEEP'));
    it('braces inside strings do not count as nesting', async () => {
      const res = await api().post('/v1/datasets').set(env.auth).send({ name: '{'.repeat(100), description: '[['.repeat(100) });
      assert.equal(res.status, 201);
      await api().delete(`/v1/datasets/${res.body.id}`).set(env.auth).expect(204);
    });
    it('a deep config within the limit gets the config validator\u2019s answer', async () =>
      refusedCleanly(() => api().post('/v1/jobs').set(env.auth).set('Content-Type', 'application/json').send(`{"datasetId":"${datasetId}","config":${deep(MAX_JSON_DEPTH - 2)}}`), 400, 'INVALID_JOB_CONFIG'));
    it('a deep GraphQL variables object is refused', async () => {
      const res = await api().post('/graphql').set(env.auth).set('Content-Type', 'application/json').send(`{"query":"{ datasets { items { id } } }","variables":${deep(5_000)}}`);
      assert.equal(res.status, 400);
      assert.ok(JSON.stringify(res.body).includes('JSON_TOO_DEEP'), JSON.stringify(res.body));
      await assertStillAnswers(env);
    });
  });

  describe('forged cursors', () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const cases: Array<[string, string]> = [
      ['an invalid month', forged(['2024-13-01T00:00:00.000Z', 'ds_x'])],
      ['a day that rolls over', forged(['2024-02-30T00:00:00.000Z', 'ds_x'])],
      ['a year PostgreSQL rejects', forged(['-010000-01-01T00:00:00.000Z', 'ds_x'])],
      ['the largest JS date', forged(['+275760-09-13T00:00:00.000Z', 'ds_x'])],
      ['a date that is not a string', forged([1700000000000, 'ds_x'])],
      ['a non-ISO date string', forged(['Tue, 01 Jan 2024 00:00:00 GMT', 'ds_x'])],
      ['the old object form with a bad date', forged({ t: 'yesterday', id: 'ds_x' })],
      ['an id with a NUL', forged(['2024-01-01T00:00:00.000Z', 'ds_\u0000'])],
      ['an id of 300 characters', forged(['2024-01-01T00:00:00.000Z', 'x'.repeat(300)])],
      ['base64 of garbage', Buffer.from('\u00ff\u00fe').toString('base64url')],
    ];
    for (const [name, cursor] of cases) {
      it(`a dataset cursor with ${name} is 400 INVALID_CURSOR`, async () => refusedCleanly(() => api().get('/v1/datasets').query({ cursor }).set(env.auth), 400, 'INVALID_CURSOR'));
    }
    it('a job cursor with an invalid date is 400 INVALID_CURSOR', async () =>
      refusedCleanly(() => api().get('/v1/jobs').query({ cursor: forged(['2024-99-01T00:00:00.000Z', 'job_x']) }).set(env.auth), 400, 'INVALID_CURSOR'));
    it('an image cursor with a NUL is 400 INVALID_CURSOR', async () =>
      refusedCleanly(() => api().get(`/v1/datasets/${datasetId}/images`).query({ cursor: forged('img_\u0000') }).set(env.auth), 400, 'INVALID_CURSOR'));
    it('an image cursor that is not a string is 400 INVALID_CURSOR', async () =>
      refusedCleanly(() => api().get(`/v1/datasets/${datasetId}/images`).query({ cursor: forged({ id: 1 }) }).set(env.auth), 400, 'INVALID_CURSOR'));
    it('a cursor this API issued still pages', async () => {
      for (const name of ['p1', 'p2']) await api().post('/v1/datasets').set(env.auth).send({ name }).expect(201);
      const first = await api().get('/v1/datasets?limit=1').set(env.auth).expect(200);
      assert.ok(first.body.nextCursor);
      const second = await api().get('/v1/datasets').query({ limit: 1, cursor: first.body.nextCursor }).set(env.auth).expect(200);
      assert.notEqual(second.body.items[0].id, first.body.items[0].id);
    });
  });

  describe('labels have one length limit everywhere', () => {
    const long = 'l'.repeat(6000);
    it('a 6 000-character multipart label skips its files as INVALID_LABEL', async () =>
      skippedCleanly(async () => api().post(`/v1/datasets/${datasetId}/images`).set(env.auth).field('label', long).attach('f', await image(21), 'a.png'), 'INVALID_LABEL'));
    it('a 201-character multipart label is refused the same way', async () =>
      skippedCleanly(async () => api().post(`/v1/datasets/${datasetId}/images`).set(env.auth).field('label', 'm'.repeat(201)).attach('f', await image(22), 'a.png'), 'INVALID_LABEL'));
    it('a 200-character multipart label is stored', async () => {
      const res = await api().post(`/v1/datasets/${datasetId}/images`).set(env.auth).field('label', 'k'.repeat(200)).attach('f', await image(23), 'a.png');
      assert.equal(res.status, 201);
      assert.equal(res.body.added, 1);
    });
    it('a 6 000-character tar folder name skips its files as INVALID_LABEL', async () =>
      skippedCleanly(async () => api().post(`/v1/datasets/${datasetId}/archive`).set(env.auth).set('Content-Type', 'application/x-tar').send(await makeTar([{ name: `${long}/a.png`, data: await image(24) }])), 'INVALID_LABEL'));
    it('a 6 000-character split folder skips its files as INVALID_LABEL', async () =>
      skippedCleanly(async () => api().post(`/v1/datasets/${datasetId}/archive`).set(env.auth).set('Content-Type', 'application/x-tar').send(await makeTar([{ name: `${long}/cat/a.png`, data: await image(25) }])), 'INVALID_LABEL'));
    it('a label with a control character skips its files', async () =>
      skippedCleanly(async () => api().post(`/v1/datasets/${datasetId}/archive`).set(env.auth).set('Content-Type', 'application/x-tar').send(await makeTar([{ name: 'ca\tt/a.png', data: await image(26) }])), 'INVALID_LABEL'));
    it('a 6 000-character direct-upload label is 400 VALIDATION_ERROR', async () =>
      refusedCleanly(() => api().post(`/v1/datasets/${datasetId}/uploads`).set(env.auth).send({ files: [{ name: 'a.png', label: long }] }), 400, 'VALIDATION_ERROR'));
    it('a 6 000-character label filter is 400 VALIDATION_ERROR', async () =>
      refusedCleanly(() => api().get(`/v1/datasets/${datasetId}/images`).query({ label: long }).set(env.auth), 400, 'VALIDATION_ERROR'));
    it('a 6 000-character multipart file name is skipped as INVALID_NAME', async () =>
      skippedCleanly(async () => api().post(`/v1/datasets/${datasetId}/images`).set(env.auth).attach('f', await image(27), `${'n'.repeat(1100)}.png`), 'INVALID_NAME'));
  });

  describe('fastify\u2019s own errors in our shape', () => {
    it('an over-long path parameter is 414 URI_TOO_LONG', async () => refusedCleanly(() => api().get(`/v1/datasets/${'a'.repeat(5000)}`).set(env.auth), 414, 'URI_TOO_LONG'));
    it('bad percent-encoding in the path is 400 BAD_URL_ENCODING', async () => refusedCleanly(() => raw(`GET /v1/datasets/%E0%A4%A HTTP/1.1\r\nHost: x\r\nAuthorization: ${env.auth.Authorization}\r\nConnection: close\r\n\r\n`), 400, 'BAD_URL_ENCODING'));
    it('a truncated percent-escape is 400 BAD_URL_ENCODING', async () => refusedCleanly(() => raw(`GET /v1/jobs/%ZZ HTTP/1.1\r\nHost: x\r\nAuthorization: ${env.auth.Authorization}\r\nConnection: close\r\n\r\n`), 400, 'BAD_URL_ENCODING'));
    it('a request line and headers over 16 KiB are 431 HEADERS_TOO_LARGE', async () =>
      refusedCleanly(() => raw(`GET /v1/datasets?cursor=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`), 431, 'HEADERS_TOO_LARGE'));
    it('a request that is not HTTP is 400 BAD_REQUEST', async () => refusedCleanly(() => raw('HELLO THERE\r\n\r\n'), 400, 'BAD_REQUEST'));
    it('a JSON body over 1 MiB is 413 PAYLOAD_TOO_LARGE', async () =>
      refusedCleanly(() => api().post('/v1/datasets').set(env.auth).send({ name: 'x'.repeat(2 * 1024 * 1024) }), 413, 'PAYLOAD_TOO_LARGE'));
    it('an unsupported media type is 415 UNSUPPORTED_MEDIA_TYPE', async () =>
      refusedCleanly(() => api().post('/v1/datasets').set(env.auth).set('Content-Type', 'text/xml').send('<a/>'), 415, 'UNSUPPORTED_MEDIA_TYPE'));
    it('malformed JSON is 400 MALFORMED_JSON', async () => refusedCleanly(() => api().post('/v1/datasets').set(env.auth).set('Content-Type', 'application/json').send('{"name":'), 400, 'MALFORMED_JSON'));
    it('an empty JSON body is 400 MALFORMED_JSON', async () => refusedCleanly(() => api().post('/v1/datasets').set(env.auth).set('Content-Type', 'application/json').send(''), 400, 'MALFORMED_JSON'));
    it('a __proto__ key is refused', async () =>
      refusedCleanly(() => api().post('/v1/datasets').set(env.auth).set('Content-Type', 'application/json').send('{"name":"x","__proto__":{"admin":true}}'), 400, 'FST_ERR_CTP_INVALID_JSON_BODY').catch(async () => {
        const res = await api().post('/v1/datasets').set(env.auth).set('Content-Type', 'application/json').send('{"name":"x","__proto__":{"admin":true}}');
        assert.equal(res.status, 400);
        assert.equal(typeof res.body.error.code, 'string');
      }));
    it('a wrong Content-Length is answered in our shape or closed, and the server goes on', async () => {
      const res = await raw(`POST /v1/datasets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}`);
      assert.equal(res.status, 400);
      assert.equal(typeof res.body.error?.code, 'string');
      await assertStillAnswers(env);
    });
  });

  describe('/embed checks images like ingest', () => {
    let jobId: string;
    before(async () => {
      const ds = await createDataset(env, await tenantIdOf(env, env.apiKey));
      const resolved = resolveTrainingConfig({ imageSize: 16, channels: 1, batchSize: 2 });
      assert.ok('config' in resolved);
      jobId = newId('job');
      await env.services.db.job.create({ data: { id: jobId, tenantId, datasetId: ds, config: resolved.config as object, status: 'succeeded' } });
      await env.services.db.checkpoint.create({ data: { id: newId('ckpt'), jobId, epoch: 1, step: 1, s3Key: 'jobs/none/final.ckpt', sizeBytes: 1n, isFinal: true } });
    });
    const embed = (bytes: Buffer, name: string) => api().post(`/v1/jobs/${jobId}/embed`).set(env.auth).attach('image', bytes, name);
    it('a TIFF is 422 UNSUPPORTED_FORMAT', async () => refusedCleanly(async () => embed(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } }).tiff().toBuffer(), 'x.tiff'), 422, 'UNSUPPORTED_FORMAT'));
    it('a GIF is 422 UNSUPPORTED_FORMAT', async () => refusedCleanly(async () => embed(await image(31, 'gif'), 'x.gif'), 422, 'UNSUPPORTED_FORMAT'));
    it('an SVG is 422 NOT_AN_IMAGE', async () => refusedCleanly(() => embed(SVG, 'x.svg'), 422, 'NOT_AN_IMAGE'));
    it('an SVG named .png is 422 NOT_AN_IMAGE', async () => refusedCleanly(() => embed(SVG, 'x.png'), 422, 'NOT_AN_IMAGE'));
    it('a 50 000×50 000 PNG is 422 IMAGE_TOO_LARGE', async () => refusedCleanly(() => embed(hugePng(), 'huge.png'), 422, 'IMAGE_TOO_LARGE'));
    it('a PNG just over the pixel limit is 422 IMAGE_TOO_LARGE', async () => refusedCleanly(() => embed(hugePng(10_000, 5_001), 'big.png'), 422, 'IMAGE_TOO_LARGE'));
    it('a truncated PNG is 422 CORRUPT_IMAGE', async () => refusedCleanly(async () => embed((await image(32, 'png', 64, 64)).subarray(0, 60), 'cut.png'), 422, 'CORRUPT_IMAGE'));
    it('the error names the file but carries no decoder text', async () => {
      const res = await embed(hugePng(), 'huge.png');
      assert.deepEqual(res.body.error.details, [{ field: 'huge.png', message: 'IMAGE_TOO_LARGE' }]);
      assert.ok(!/pixel limit|vips|sharp/i.test(res.body.error.message));
    });
  });

  describe('huge images in ingest', () => {
    it('a 50 000×50 000 PNG upload is skipped as IMAGE_TOO_LARGE', async () =>
      skippedCleanly(() => api().post(`/v1/datasets/${datasetId}/images`).set(env.auth).attach('f', hugePng(), 'huge.png'), 'IMAGE_TOO_LARGE'));
    it('a 50 000×50 000 PNG in an archive is skipped as IMAGE_TOO_LARGE', async () =>
      skippedCleanly(async () => api().post(`/v1/datasets/${datasetId}/archive`).set(env.auth).set('Content-Type', 'application/x-tar').send(await makeTar([{ name: 'big/huge.png', data: hugePng() }])), 'IMAGE_TOO_LARGE'));
    it('a 100 000×1 PNG over the pixel limit is IMAGE_TOO_LARGE too', async () =>
      skippedCleanly(() => api().post(`/v1/datasets/${datasetId}/images`).set(env.auth).attach('f', hugePng(60_000_000, 1), 'wide.png'), 'IMAGE_TOO_LARGE'));
  });

  describe('batchSize against the dataset', () => {
    let small: string;
    before(async () => {
      small = await createDataset(env, await tenantIdOf(env, env.apiKey), ['a', 'b', 'c']);
    });
    it('a batchSize larger than the dataset is 422 DATASET_TOO_SMALL at POST time, and nothing is queued', async () => {
      const queued = async () => Number((await env.services.pool.query(`SELECT count(*) FROM pgboss.job WHERE name = 'train'`)).rows[0].count);
      const before = await queued();
      await refusedCleanly(() => api().post('/v1/jobs').set(env.auth).send({ datasetId: small, config: { batchSize: 4 } }), 422, 'DATASET_TOO_SMALL');
      assert.equal(await queued(), before);
    });
    it('a job that leaves batchSize out gets one that fits a 3-image dataset (docs/defaults.md: few images)', async () => {
      const res = await api().post('/v1/jobs').set(env.auth).send({ datasetId: small });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.config.batchSize, 2);
    });
    it('the refusal says how many images there are', async () => {
      const res = await api().post('/v1/jobs').set(env.auth).send({ datasetId: small, config: { batchSize: 64 } });
      assert.deepEqual(res.body.error.details, { imageCount: 3, batchSize: 64 });
    });
    it('with an Idempotency-Key, a refused request leaves the key unused', async () => {
      await api().post('/v1/jobs').set(env.auth).set('Idempotency-Key', 'too-big').send({ datasetId: small, config: { batchSize: 8 } }).expect(422);
      const ok = await api().post('/v1/jobs').set(env.auth).set('Idempotency-Key', 'too-big').send({ datasetId: small, config: { batchSize: 8 } });
      assert.equal(ok.status, 422);
      assert.equal(await env.services.db.job.count({ where: { idempotencyKey: 'too-big' } }), 0);
    });
    it('a batchSize equal to the dataset size is accepted', async () => {
      const res = await api().post('/v1/jobs').set(env.auth).send({ datasetId: small, config: { batchSize: 3 } });
      assert.equal(res.status, 202, JSON.stringify(res.body));
    });
  });
});
