// S3-prefix import across tenants: each tenant reads only imports/<its id>/. Tenant B aims at A's
// objects and at the service's own prefixes every way it can spell them; nothing of A's is added
// to B's dataset and no key outside B's namespace appears in any answer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { tenantIdOf } from '../helpers/jobFixtures.ts';
import { image } from '../ingest/fixtures.ts';
import { assertError, assertNoInternals, assertStillAnswers } from './assertions.ts';

describe('prefix import: one namespace per tenant', () => {
  let env: TestEnv;
  let tenantA: string;
  let tenantB: string;
  let datasetA: string;
  let datasetB: string;
  const api = () => request(env.app.server);

  before(async () => {
    env = await createTestEnv();
    tenantA = env.tenantId;
    tenantB = await tenantIdOf(env, env.otherApiKey);
    datasetA = (await api().post('/v1/datasets').set(env.auth).send({ name: 'a' }).expect(201)).body.id;
    datasetB = (await api().post('/v1/datasets').set(env.otherAuth).send({ name: 'b' }).expect(201)).body.id;
    const { blobs } = env.services;
    await blobs.put(`imports/${tenantA}/set/cat/1.png`, await image(1));
    await blobs.put(`imports/${tenantA}/set/dog/2.png`, await image(2));
    await blobs.put(`imports/${tenantA}/set/notes.txt`, 'private notes of A');
    // a key of a tenant whose id merely starts with A's
    await blobs.put(`imports/${tenantA}x/set/cat/3.png`, await image(3));
    await blobs.put('images/sha256/aa/service-owned', await image(4));
    await blobs.put('jobs/job_x/checkpoints/final.ckpt', 'weights');
  });
  after(async () => env.close());

  const imageCount = async (datasetId: string) => env.services.db.image.count({ where: { datasetId } });
  const importAsB = (prefix: string) => api().post(`/v1/datasets/${datasetB}/import`).set(env.otherAuth).send({ prefix });

  /** B's refusal: the code, no rows added, none of A's or the service's key names in the body. */
  async function refusedForB(prefix: string, status: number, code: string) {
    const res = await importAsB(prefix);
    assertError(res, status, code);
    assert.equal(await imageCount(datasetB), 0);
    const text = JSON.stringify(res.body);
    for (const secret of ['notes.txt', 'cat/1.png', 'service-owned', 'final.ckpt', `imports/${tenantA}/`]) assert.ok(!text.includes(secret), `leaks ${secret}: ${text}`);
    assertNoInternals(res.body);
    await assertStillAnswers(env);
  }

  it('A imports its own folder by a relative prefix', async () => {
    const res = await api().post(`/v1/datasets/${datasetA}/import`).set(env.auth).send({ prefix: 'set' }).expect(201);
    assert.equal(res.body.added, 2);
    assert.deepEqual(res.body.skipped, [{ name: 'notes.txt', reason: 'NOT_AN_IMAGE' }]);
  });

  it('A may also spell its namespace out in full', async () => {
    const ds = (await api().post('/v1/datasets').set(env.auth).send({ name: 'a2' }).expect(201)).body.id;
    const res = await api().post(`/v1/datasets/${ds}/import`).set(env.auth).send({ prefix: `imports/${tenantA}/set/cat/` }).expect(201);
    assert.equal(res.body.added, 1);
  });

  it('A does not see the namespace of a tenant whose id extends its own', async () => {
    const ds = (await api().post('/v1/datasets').set(env.auth).send({ name: 'a3' }).expect(201)).body.id;
    const res = await api().post(`/v1/datasets/${ds}/import`).set(env.auth).send({ prefix: 'set/cat' }).expect(201);
    assert.equal(res.body.added, 1, 'only imports/<A>/set/cat/1.png');
  });

  it('B naming A\u2019s namespace in full is 403 PREFIX_FORBIDDEN', async () => refusedForB(`imports/${tenantA}/set/`, 403, 'PREFIX_FORBIDDEN'));
  it('B naming A\u2019s namespace with a leading slash is 403', async () => refusedForB(`/imports/${tenantA}/set`, 403, 'PREFIX_FORBIDDEN'));
  it('B naming A\u2019s namespace with doubled slashes is 403', async () => refusedForB(`imports//${tenantA}//set//`, 403, 'PREFIX_FORBIDDEN'));
  it('B naming the extended-id namespace is 403', async () => refusedForB(`imports/${tenantA}x/set/`, 403, 'PREFIX_FORBIDDEN'));
  it('B naming the imports root is 403', async () => refusedForB('imports/', 403, 'PREFIX_FORBIDDEN'));
  it('B naming A\u2019s folder relatively reads B\u2019s own namespace: 404', async () => refusedForB('set/', 404, 'PREFIX_NOT_FOUND'));
  it('B climbing out with .. is 400 INVALID_PREFIX', async () => refusedForB(`../${tenantA}/set`, 400, 'INVALID_PREFIX'));
  it('B climbing out from a folder with .. is 400', async () => refusedForB(`x/../../${tenantA}/set`, 400, 'INVALID_PREFIX'));
  it('B using . segments is 400', async () => refusedForB('./set', 400, 'INVALID_PREFIX'));
  it('B naming its own namespace root is 400', async () => refusedForB(`imports/${tenantB}/`, 400, 'INVALID_PREFIX'));
  it('B sending only slashes is 400', async () => refusedForB('///', 400, 'INVALID_PREFIX'));
  it('B sending a control character is 400', async () => refusedForB('set\u0001/', 400, 'INVALID_PREFIX'));
  it('B sending a NUL is 400 INVALID_CHARACTER', async () => refusedForB('set\u0000/', 400, 'INVALID_CHARACTER'));
  it('B naming images/ reads its own namespace: 404', async () => refusedForB('images/', 404, 'PREFIX_NOT_FOUND'));
  it('B naming jobs/ reads its own namespace: 404', async () => refusedForB('jobs/job_x/checkpoints', 404, 'PREFIX_NOT_FOUND'));
  it('B naming uploads/ reads its own namespace: 404', async () => refusedForB(`uploads/${datasetA}/`, 404, 'PREFIX_NOT_FOUND'));
  it('B naming embeddings/ reads its own namespace: 404', async () => refusedForB('embeddings/', 404, 'PREFIX_NOT_FOUND'));

  it('B importing into A\u2019s dataset is 404 DATASET_NOT_FOUND whatever the prefix', async () => {
    const before = await imageCount(datasetA);
    const res = await api().post(`/v1/datasets/${datasetA}/import`).set(env.otherAuth).send({ prefix: `imports/${tenantA}/set` });
    assertError(res, 404, 'DATASET_NOT_FOUND');
    assert.equal(await imageCount(datasetA), before);
    await assertStillAnswers(env);
  });

  it('skip reasons name keys relative to the caller\u2019s own namespace only', async () => {
    await env.services.blobs.put(`imports/${tenantB}/mine/readme.md`, 'b notes');
    await env.services.blobs.put(`imports/${tenantB}/mine/sub/data.bin`, 'x');
    const res = await importAsB('mine');
    assert.equal(res.status, 200);
    for (const s of res.body.skipped as Array<{ name: string }>) {
      assert.ok(!s.name.startsWith('imports/'), s.name);
      assert.ok(!s.name.includes(tenantA), s.name);
    }
    assert.deepEqual(new Set(res.body.skipped.map((s: { name: string }) => s.name)), new Set(['readme.md', 'sub/data.bin']));
    await assertStillAnswers(env);
  });

  it('a not-found answer names the caller\u2019s namespace, not the bucket', async () => {
    const res = await importAsB('nothing');
    assertError(res, 404, 'PREFIX_NOT_FOUND');
    assert.ok(res.body.error.message.includes(`imports/${tenantB}/`));
    assert.ok(!res.body.error.message.includes(env.services.blobs.bucket));
  });

  it('folder names longer than a label may be are skipped, not stored', async () => {
    // over the 200-character label limit (s3rver keeps keys as file names: under 255 bytes a segment)
    const long = 'l'.repeat(201);
    await env.services.blobs.put(`imports/${tenantB}/long/${long}/1.png`, await image(9));
    const res = await importAsB('long');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.skipped.map((s: { reason: string }) => s.reason), ['INVALID_LABEL']);
    assert.equal(await imageCount(datasetB), 0);
    await assertStillAnswers(env);
  });
});
