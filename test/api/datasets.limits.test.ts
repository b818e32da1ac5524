// Ingest limits, with small values set through the environment.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { image, makeTar } from '../ingest/fixtures.ts';

const MAX_ARCHIVE_BYTES = 64 * 1024;
const MAX_ARCHIVE_ENTRIES = 6;
const MAX_IMAGE_BYTES = 20_000;

function* chunks(data: Buffer, size: number) {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

describe('datasets API ingest limits', () => {
  let env: TestEnv;
  const api = () => request(env.app.server);
  const newDataset = async () => (await api().post('/v1/datasets').set(env.auth).send({ name: 'limits' }).expect(201)).body.id as string;
  const postArchive = (id: string, body: Buffer) =>
    api().post(`/v1/datasets/${id}/archive`).set(env.auth).set('Content-Type', 'application/x-tar').send(body);

  before(async () => {
    env = await createTestEnv({
      MAX_ARCHIVE_BYTES: String(MAX_ARCHIVE_BYTES),
      MAX_ARCHIVE_ENTRIES: String(MAX_ARCHIVE_ENTRIES),
      MAX_IMAGE_BYTES: String(MAX_IMAGE_BYTES),
      MAX_IMAGE_PIXELS: String(100 * 100),
      MAX_FILES_PER_REQUEST: '3',
    });
  });
  after(async () => env.close());

  it('answers 413 ARCHIVE_TOO_LARGE past the byte limit; images stored before it stay and are counted', async () => {
    const id = await newDataset();
    const tar = await makeTar([
      { name: 'a/1.png', data: await image(1) },
      { name: 'a/2.png', data: await image(2) },
      ...Array.from({ length: 5 }, (_, i) => ({ name: `pad/${i}.bin`, data: Buffer.alloc(MAX_IMAGE_BYTES - 100, i) })),
    ]);
    assert.ok(tar.length > MAX_ARCHIVE_BYTES);
    const res = await postArchive(id, tar).expect(413);
    assert.equal(res.body.error.code, 'ARCHIVE_TOO_LARGE');
    assert.equal(res.body.error.details.maxArchiveBytes, MAX_ARCHIVE_BYTES);
    assert.equal(res.body.error.details.added, 2);
    const got = await api().get(`/v1/datasets/${id}`).set(env.auth).expect(200);
    assert.equal(got.body.imageCount, 2);
  });

  it('applies the byte limit to the inflated stream of a .tar.gz (zip bomb)', async () => {
    const id = await newDataset();
    const bomb = await makeTar(
      Array.from({ length: 5 }, (_, i) => ({ name: `zeros/${i}.bin`, data: Buffer.alloc(MAX_IMAGE_BYTES - 100) })),
      { gzip: true },
    );
    assert.ok(bomb.length < MAX_ARCHIVE_BYTES / 10);
    const res = await postArchive(id, bomb).expect(413);
    assert.equal(res.body.error.code, 'ARCHIVE_TOO_LARGE');
  });

  it('answers 413 TOO_MANY_ENTRIES past the entry limit, keeping the entries before it', async () => {
    const id = await newDataset();
    const entries = [];
    for (let i = 0; i < MAX_ARCHIVE_ENTRIES + 2; i++) entries.push({ name: `c/${i}.png`, data: await image(10 + i) });
    const res = await postArchive(id, await makeTar(entries)).expect(413);
    assert.equal(res.body.error.code, 'TOO_MANY_ENTRIES');
    assert.equal(res.body.error.details.added, MAX_ARCHIVE_ENTRIES);
  });

  it('a client still streaming a refused archive reads the refusal, and its connection stays usable', async () => {
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = env.app.server.address() as AddressInfo;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const id = await newDataset();
    // 2 MB of entries after the limit, written in 16 KB chunks as an upload from disk would be
    const tar = await makeTar(Array.from({ length: 100 }, (_, i) => ({ name: `pad/${i}.bin`, data: Buffer.alloc(MAX_IMAGE_BYTES, i) })));
    try {
      for (let round = 0; round < 5; round++) {
        const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: `/v1/datasets/${id}/archive`, agent, headers: { ...env.auth, 'content-type': 'application/x-tar' } });
          req.on('socket', (socket) => sockets.add(socket));
          req.on('response', (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          pipeline(Readable.from(chunks(tar, 16 * 1024)), req).catch(() => {});
        });
        assert.equal(answer.status, 413, answer.body);
        assert.equal(JSON.parse(answer.body).error.code, 'ARCHIVE_TOO_LARGE');
      }
      assert.equal(sockets.size, 1, 'every refusal came back on the same kept-alive connection');
    } finally {
      agent.destroy();
    }
  });

  it('skips images over the pixel limit and files over the byte limit', async () => {
    const id = await newDataset();
    const res = await postArchive(
      id,
      await makeTar([
        { name: 'big/wide.png', data: await image(1, 'png', 101, 100) },
        { name: 'big/huge.bin', data: Buffer.alloc(MAX_IMAGE_BYTES + 1) },
        { name: 'ok/small.png', data: await image(2, 'png', 100, 100) },
      ]),
    ).expect(201);
    assert.equal(res.body.added, 1);
    // files are validated concurrently: skips are listed in completion order
    const skipped = res.body.skipped.sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name));
    assert.deepEqual(skipped, [
      { name: 'big/huge.bin', reason: 'FILE_TOO_LARGE' },
      { name: 'big/wide.png', reason: 'IMAGE_TOO_LARGE' },
    ]);
  });

  it('multipart: skips a file over the size limit, refuses more files than allowed', async () => {
    const id = await newDataset();
    const res = await api()
      .post(`/v1/datasets/${id}/images`)
      .set(env.auth)
      .attach('file', Buffer.alloc(MAX_IMAGE_BYTES + 10, 1), 'big.png')
      .attach('file', await image(3), 'small.png')
      .expect(201);
    assert.deepEqual(res.body, { added: 1, duplicates: 0, skipped: [{ name: 'big.png', reason: 'FILE_TOO_LARGE' }], skippedCount: 1 });

    let req = api().post(`/v1/datasets/${id}/images`).set(env.auth);
    for (let i = 0; i < 4; i++) req = req.attach('file', await image(20 + i), `${i}.png`);
    const tooMany = await req.expect(413);
    assert.equal(tooMany.body.error.code, 'TOO_MANY_FILES');
  });

  it('direct upload: refuses more files than allowed per request', async () => {
    const id = await newDataset();
    const files = Array.from({ length: 4 }, (_, i) => ({ name: `${i}.png` }));
    const res = await api().post(`/v1/datasets/${id}/uploads`).set(env.auth).send({ files }).expect(400);
    assert.equal(res.body.error.code, 'VALIDATION_ERROR');
  });
});
