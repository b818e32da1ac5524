import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import sharp from 'sharp';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { image, makeTar } from '../ingest/fixtures.ts';

describe('GET /v1/datasets/:id/images/:imageId/thumbnail', () => {
  let env: TestEnv;
  let datasetId: string;
  let imageId: string;
  const api = () => request(env.app.server);
  const binary = (res: request.Response, done: (err: Error | null, body: Buffer) => void) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  };

  before(async () => {
    env = await createTestEnv();
    datasetId = (await api().post('/v1/datasets').set(env.auth).send({ name: 't' }).expect(201)).body.id;
    const tar = await makeTar([{ name: 'cat/big.png', data: await image(3, 'png', 300, 200) }]);
    await api().post(`/v1/datasets/${datasetId}/archive`).set(env.auth).set('content-type', 'application/x-tar').send(tar).expect(201);
    imageId = (await api().get(`/v1/datasets/${datasetId}/images`).set(env.auth).expect(200)).body.items[0].id;
  });
  after(async () => env.close());

  it('answers a WebP that fits the size, keeping the aspect ratio', async () => {
    const res = await api().get(`/v1/datasets/${datasetId}/images/${imageId}/thumbnail?size=60`).set(env.auth).buffer(true).parse(binary).expect(200);
    assert.equal(res.headers['content-type'], 'image/webp');
    const meta = await sharp(res.body as Buffer).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 60, 40]);
  });

  it('does not enlarge a small image', async () => {
    const small = await makeTar([{ name: 'tiny.png', data: await image(5, 'png', 8, 8) }]);
    await api().post(`/v1/datasets/${datasetId}/archive`).set(env.auth).set('content-type', 'application/x-tar').send(small).expect(201);
    const items = (await api().get(`/v1/datasets/${datasetId}/images`).set(env.auth).expect(200)).body.items as Array<{ id: string; width: number }>;
    const tiny = items.find((i) => i.width === 8)!;
    const res = await api().get(`/v1/datasets/${datasetId}/images/${tiny.id}/thumbnail`).set(env.auth).buffer(true).parse(binary).expect(200);
    assert.equal((await sharp(res.body as Buffer).metadata()).width, 8);
  });

  it('answers 404 for an unknown image, another tenant\'s dataset, and 400 for a bad size', async () => {
    const unknown = await api().get(`/v1/datasets/${datasetId}/images/img_nope/thumbnail`).set(env.auth).expect(404);
    assert.equal(unknown.body.error.code, 'IMAGE_NOT_FOUND');
    const foreign = await api().get(`/v1/datasets/${datasetId}/images/${imageId}/thumbnail`).set(env.otherAuth).expect(404);
    assert.equal(foreign.body.error.code, 'DATASET_NOT_FOUND');
    const bad = await api().get(`/v1/datasets/${datasetId}/images/${imageId}/thumbnail?size=5000`).set(env.auth).expect(400);
    assert.equal(bad.body.error.code, 'VALIDATION_ERROR');
    await api().get(`/v1/datasets/${datasetId}/images/${imageId}/thumbnail`).expect(401);
  });
});
