// Embedding sets end to end on real PostgreSQL + s3rver + pg-boss with an in-process worker: the
// .npy round-trip against the JSON and CSV forms, dedupe, synchronous embed vs the batch vectors,
// neighbours, tenant isolation.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Response } from 'supertest';
import { parseNpyHeader } from '../../src/data/npy.ts';
import { trainedEnv, type TrainedEnv } from '../helpers/trainedJob.ts';

const binary = (res: Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('embeddings API', () => {
  let t: TrainedEnv;
  let setId: string;
  let matrix: Float32Array;
  let shape: number[];

  before(async () => {
    t = await trainedEnv();
  });
  after(async () => {
    await t?.close();
  });

  it('computes a set once per (job, checkpoint, dataset): a repeat request returns it', async () => {
    const first = await t.api().post(`/v1/jobs/${t.jobId}/embeddings`).set(t.env.auth).send({ datasetId: t.datasetId }).expect(202);
    assert.equal(first.headers.location, `/v1/embeddings/${first.body.id}`);
    assert.equal(first.body.status, 'queued');
    setId = first.body.id;
    const again = await t.api().post(`/v1/jobs/${t.jobId}/embeddings`).set(t.env.auth).send({ datasetId: t.datasetId }).expect(200);
    assert.equal(again.body.id, setId);
    const done = await t.settle(`/v1/embeddings/${setId}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.count, 64);
    assert.equal(done.jobId, t.jobId);
    assert.equal(done.datasetId, t.datasetId);
    const final = await t.env.services.db.checkpoint.findFirstOrThrow({ where: { jobId: t.jobId, isFinal: true } });
    assert.equal(done.checkpointId, final.id, 'defaults to the final checkpoint');
    assert.ok((done.dim as number) > 0);
  });

  it('streams a .npy that parses as <f4 [N, D] and matches the JSON pages row for row', async () => {
    const res = await t.api().get(`/v1/embeddings/${setId}/vectors?format=npy`).set(t.env.auth).buffer(true).parse(binary).expect(200);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    const bytes = res.body as Buffer;
    const header = parseNpyHeader(bytes);
    assert.equal(header.descr, '<f4');
    assert.equal(header.fortranOrder, false);
    assert.equal(header.dataOffset % 64, 0, 'numpy aligns the data to 64 bytes');
    shape = header.shape;
    const set = (await t.api().get(`/v1/embeddings/${setId}`).set(t.env.auth).expect(200)).body;
    assert.deepEqual(shape, [set.count, set.dim]);
    assert.equal(bytes.length, header.dataOffset + shape[0] * shape[1] * 4);
    const data = bytes.subarray(header.dataOffset);
    matrix = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));

    // redirect=true: the same bytes straight from the bucket, by a presigned URL that needs no key
    const moved = await t.api().get(`/v1/embeddings/${setId}/vectors?format=npy&redirect=true`).set(t.env.auth).expect(307);
    const direct = await fetch(moved.headers.location!);
    assert.equal(direct.status, 200);
    assert.ok(Buffer.from(await direct.arrayBuffer()).equals(bytes), 'the presigned object is the streamed .npy');
    const tampered = new URL(moved.headers.location!);
    tampered.searchParams.set('X-Amz-Expires', '60');
    assert.equal((await fetch(tampered)).status, 403, 'an altered presigned URL is refused');

    const items: Array<{ imageId: string; label: string; vector: number[] }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Response = await t.api().get(`/v1/embeddings/${setId}/vectors`).query({ format: 'json', limit: 25, ...(cursor && { cursor }) }).set(t.env.auth).expect(200);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    const forged = Buffer.from(JSON.stringify([1, 5])).toString('base64url');
    const bad = await t.api().get(`/v1/embeddings/${setId}/vectors`).query({ format: 'json', cursor: forged }).set(t.env.auth).expect(400);
    assert.equal(bad.body.error.code, 'INVALID_CURSOR');
    const images = await t.env.services.db.image.findMany({ where: { datasetId: t.datasetId }, orderBy: { sha256: 'asc' } });
    assert.deepEqual(items.map((i) => i.imageId), images.map((i) => i.id), 'rows in content (sha256) order');
    assert.deepEqual(items.map((i) => i.label), images.map((i) => i.label));
    items.forEach((item, r) => assert.deepEqual(item.vector, Array.from(matrix.subarray(r * shape[1], (r + 1) * shape[1])), `row ${r}`));

    const csv = await t.api().get(`/v1/embeddings/${setId}/vectors?format=csv`).set(t.env.auth).expect(200);
    const lines = csv.text.trim().split('\n');
    assert.equal(lines.length, shape[0] + 1);
    assert.equal(lines[0].split(',').length, shape[1] + 2);
    assert.deepEqual(lines[7].split(',').slice(2).map(Number), Array.from(matrix.subarray(6 * shape[1], 7 * shape[1])));
  });

  it('embeds an uploaded image like the batch did (cached model), refuses a bad image', async () => {
    const images = await t.env.services.db.image.findMany({ where: { datasetId: t.datasetId }, orderBy: { sha256: 'asc' } });
    const row = 5;
    const bytes = await t.env.services.blobs.get(images[row].s3Key);
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await t.api().post(`/v1/jobs/${t.jobId}/embed`).set(t.env.auth).attach('image', bytes, 'five.png').expect(200);
      assert.equal(res.body.dim, shape[1]);
      assert.equal(res.body.items.length, 1);
      const expected = matrix.subarray(row * shape[1], (row + 1) * shape[1]);
      const worst = Math.max(...res.body.items[0].vector.map((v: number, j: number) => Math.abs(v - expected[j])));
      assert.ok(worst < 1e-5, `max abs difference ${worst}`);
    }
    const bad = await t.api().post(`/v1/jobs/${t.jobId}/embed`).set(t.env.auth).attach('image', Buffer.from('not an image'), 'x.png').expect(422);
    assert.equal(bad.body.error.code, 'NOT_AN_IMAGE');
  });

  it('lists cosine neighbours with the image itself first', async () => {
    const images = await t.env.services.db.image.findMany({ where: { datasetId: t.datasetId }, orderBy: { sha256: 'asc' } });
    const res = await t.api().get(`/v1/embeddings/${setId}/neighbors`).query({ imageId: images[3].id, k: 5 }).set(t.env.auth).expect(200);
    assert.equal(res.body.items.length, 5);
    assert.equal(res.body.items[0].imageId, images[3].id);
    assert.ok(Math.abs(res.body.items[0].similarity - 1) < 1e-6);
    const sims = res.body.items.map((i: { similarity: number }) => i.similarity);
    assert.deepEqual(sims, [...sims].sort((a, b) => b - a));
    const missing = await t.api().get(`/v1/embeddings/${setId}/neighbors`).query({ imageId: 'img_nope' }).set(t.env.auth).expect(404);
    assert.equal(missing.body.error.code, 'IMAGE_NOT_IN_SET');
  });

  it("hides another tenant's sets, jobs and datasets (404)", async () => {
    const other = t.env.otherAuth;
    assert.equal((await t.api().get(`/v1/embeddings/${setId}`).set(other).expect(404)).body.error.code, 'EMBEDDING_SET_NOT_FOUND');
    await t.api().get(`/v1/embeddings/${setId}/vectors?format=npy`).set(other).expect(404);
    await t.api().get(`/v1/embeddings/${setId}/neighbors?imageId=x`).set(other).expect(404);
    assert.equal((await t.api().post(`/v1/jobs/${t.jobId}/embeddings`).set(other).send({ datasetId: t.datasetId }).expect(404)).body.error.code, 'JOB_NOT_FOUND');
    await t.api().post(`/v1/jobs/${t.jobId}/embed`).set(other).attach('image', Buffer.from('x'), 'x.png').expect(404);
    const b = await t.env.services.db.tenant.findFirstOrThrow({ where: { name: 'tenant-b' } });
    const foreign = await t.env.services.db.dataset.create({ data: { id: 'ds_foreign', tenantId: b.id, name: 'b' } });
    const res = await t.api().post(`/v1/jobs/${t.jobId}/embeddings`).set(t.env.auth).send({ datasetId: foreign.id }).expect(404);
    assert.equal(res.body.error.code, 'DATASET_NOT_FOUND');
    assert.equal((await t.api().post(`/v1/jobs/${t.jobId}/embeddings`).set(t.env.auth).send({ datasetId: t.datasetId, checkpoint: 'ckpt_x' }).expect(404)).body.error.code, 'CHECKPOINT_NOT_FOUND');
  });
});
