// Scope enforcement on every documented route: GET needs `read`, other /v1 methods `write`,
// /v1/admin `admin`. Every operation in openapi/openapi.json is called with keys of one scope each; a key
// without the scope gets 403 INSUFFICIENT_SCOPE before anything runs, a key with it gets past the
// check (whatever the route then says about the dummy ids).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertAlive, assertError, bearer, createAdminEnv, rowCounts, type AdminEnv } from './helpers.ts';
import { loadOpenApiDocument } from '../../src/api/openapiDocument.ts';
import { createTenant, type Scope } from '../../src/domain/tenants.ts';
import { scopeFor } from '../../src/api/auth.ts';

const METHODS = ['get', 'post', 'patch', 'put', 'delete'] as const;

function documentedOperations(): Array<{ method: string; path: string }> {
  const doc = loadOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
  const ops: Array<{ method: string; path: string }> = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/v1')) continue;
    for (const method of METHODS) if (item[method]) ops.push({ method, path: path.replace(/\{\w+\}/g, 'x_scope_test') });
  }
  return ops;
}

describe('API key scopes', () => {
  let env: AdminEnv;
  const keys = {} as Record<Scope, string>;
  before(async () => {
    env = await createAdminEnv();
    for (const scope of ['read', 'write', 'admin'] as const) keys[scope] = (await createTenant(env.services.db, `only-${scope}`, undefined, [scope])).apiKey;
  });
  after(async () => env.close());

  const operations = documentedOperations();

  it('covers every documented /v1 operation, admin ones included', () => {
    assert.ok(operations.length >= 35, `${operations.length} operations`);
    assert.ok(operations.some((o) => o.path.startsWith('/v1/admin/') && o.method === 'delete'));
  });

  for (const { method, path } of operations) {
    const required = scopeFor(method.toUpperCase(), path);
    it(`${method.toUpperCase()} ${path} needs ${required}`, async () => {
      const before = await rowCounts(env);
      for (const scope of ['read', 'write', 'admin'] as const) {
        const res = await api(env)[method as 'get'](path).set(bearer(keys[scope])).send(method === 'get' || method === 'delete' ? undefined : {});
        if (scope === required) {
          assert.notEqual(res.body?.error?.code, 'INSUFFICIENT_SCOPE', `${scope} key passes`);
          assert.ok(res.status < 500, `${scope}: ${res.status} ${JSON.stringify(res.body)}`);
        } else {
          assertError(res, 403, 'INSUFFICIENT_SCOPE');
          assert.equal(res.body.error.details.required, required);
          assert.deepEqual(res.body.error.details.scopes, [scope]);
        }
      }
      assert.deepEqual(await rowCounts(env), before, 'nothing was added or removed');
      await assertAlive(env);
    });
  }

  it('a read-only key cannot create a dataset; nothing is added', async () => {
    const before = await rowCounts(env);
    assertError(await api(env).post('/v1/datasets').set(bearer(keys.read)).send({ name: 'nope' }), 403, 'INSUFFICIENT_SCOPE');
    assert.deepEqual(await rowCounts(env), before);
  });

  it('a write-only key creates a dataset but cannot read it back', async () => {
    const res = await api(env).post('/v1/datasets').set(bearer(keys.write)).send({ name: 'blind' }).expect(201);
    assertError(await api(env).get(`/v1/datasets/${res.body.id}`).set(bearer(keys.write)), 403, 'INSUFFICIENT_SCOPE');
  });

  it('a read+write tenant key is refused on the admin API', async () => {
    assertError(await api(env).get('/v1/admin/tenants').set(env.auth), 403, 'INSUFFICIENT_SCOPE');
    assertError(await api(env).post('/v1/admin/tenants').set(env.auth).send({ name: 'sneaky' }), 403, 'INSUFFICIENT_SCOPE');
    assert.equal(await env.services.db.tenant.count({ where: { name: 'sneaky' } }), 0);
  });

  it('the bootstrap key reaches reads, writes and the admin API', async () => {
    await api(env).get('/v1/datasets').set(env.adminAuth).expect(200);
    await api(env).post('/v1/datasets').set(env.adminAuth).send({ name: 'ops' }).expect(201);
    await api(env).get('/v1/admin/tenants').set(env.adminAuth).expect(200);
  });

  it('GraphQL needs the read scope', async () => {
    const query = { query: '{ datasets { items { id } } }' };
    const ok = await api(env).post('/graphql').set(bearer(keys.read)).send(query).expect(200);
    assert.equal(ok.body.errors, undefined);
    assert.ok(Array.isArray(ok.body.data.datasets.items));
    const refused = await api(env).post('/graphql').set(bearer(keys.write)).send(query);
    assert.equal(refused.body.errors[0].extensions.code, 'INSUFFICIENT_SCOPE');
    assert.equal(refused.body.data?.datasets ?? null, null);
  });

  it('an encoded spelling of /v1/admin that the router still matches needs admin too', async () => {
    for (const path of ['/v1/%61dmin/tenants', '/v1/admin/tenants/', '/v1/admin/tenants?limit=1']) {
      const res = await api(env).get(path).set(env.auth);
      assertError(res, 403, 'INSUFFICIENT_SCOPE');
      assert.equal(res.body.error.details.required, 'admin', path);
    }
    await api(env).get('/v1/%61dmin/tenants').set(env.adminAuth).expect(200);
  });

  it('an unauthenticated request is 401 before any scope check', async () => {
    assertError(await api(env).get('/v1/admin/tenants'), 401, 'UNAUTHENTICATED');
    assertError(await api(env).delete('/v1/jobs/x').set(bearer('ssk_forged')), 401, 'INVALID_API_KEY');
  });
});
