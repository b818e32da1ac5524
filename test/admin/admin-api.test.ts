// The admin API (/v1/admin/tenants, .../keys), the bootstrap key, the production key check and the
// `npm run admin` shell, on real PostgreSQL, s3rver and HTTP.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { api, assertAlive, assertError, bearer, createAdminEnv, rowCounts, type AdminEnv } from './helpers.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { createTenant, ensureBootstrapKey, generateApiKey, hashApiKey } from '../../src/domain/tenants.ts';
import { DEFAULT_QUOTAS } from '../../src/domain/quotas.ts';
import { waitFor } from '../helpers/waitFor.ts';

const run = promisify(execFile);

describe('admin API', () => {
  let env: AdminEnv;
  before(async () => {
    env = await createAdminEnv();
  });
  afterEach(async () => assertAlive(env));
  after(async () => env.close());

  const createTenantViaApi = async (name: string, quotas?: object) => {
    const res = await api(env).post('/v1/admin/tenants').set(env.adminAuth).send({ name, ...(quotas && { quotas }) });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; name: string; quotas: Record<string, number> };
  };
  const createKey = async (tenantId: string, body: object = {}) => {
    const res = await api(env).post(`/v1/admin/tenants/${tenantId}/keys`).set(env.adminAuth).send(body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; secret: string; scopes: string[]; expiresAt: string | null };
  };

  describe('tenants', () => {
    it('creates a tenant with the default quotas and a Location', async () => {
      const res = await api(env).post('/v1/admin/tenants').set(env.adminAuth).send({ name: 'acme' }).expect(201);
      assert.match(res.body.id, /^ten_/);
      assert.equal(res.body.name, 'acme');
      assert.equal(res.headers.location, `/v1/admin/tenants/${res.body.id}`);
      assert.deepEqual(res.body.quotas, DEFAULT_QUOTAS);
      assert.ok(!Number.isNaN(Date.parse(res.body.createdAt)));
      const row = await env.services.db.tenant.findUnique({ where: { id: res.body.id } });
      assert.equal(row?.name, 'acme');
    });

    it('creates a tenant with quota overrides, the rest at their defaults', async () => {
      const tenant = await createTenantViaApi('small', { images: 10, datasets: 2 });
      assert.equal(tenant.quotas.images, 10);
      assert.equal(tenant.quotas.datasets, 2);
      assert.equal(tenant.quotas.activeJobs, DEFAULT_QUOTAS.activeJobs);
    });

    it('refuses bad bodies with 400 VALIDATION_ERROR and adds no tenant', async () => {
      const before = await rowCounts(env);
      const cases: object[] = [
        {},
        { name: '' },
        { name: 'x'.repeat(201) },
        { name: 'a', extra: 1 },
        { name: 'a', quotas: { images: -1 } },
        { name: 'a', quotas: { images: 1.5 } },
        { name: 'a', quotas: { bogus: 5 } },
        { name: 'a', quotas: { images: 'many' } },
      ];
      for (const body of cases) {
        const res = await api(env).post('/v1/admin/tenants').set(env.adminAuth).send(body);
        assertError(res, 400, 'VALIDATION_ERROR');
      }
      assert.deepEqual(await rowCounts(env), before);
    });

    it('lists tenants newest first in pages that neither overlap nor skip', async () => {
      for (const name of ['p1', 'p2', 'p3']) await createTenantViaApi(name);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: Record<string, string | number> = cursor ? { limit: 2, cursor } : { limit: 2 };
        const res = await api(env).get('/v1/admin/tenants').query(query).set(env.adminAuth).expect(200);
        const body = res.body as { items: Array<{ id: string }>; nextCursor: string | null };
        assert.ok(body.items.length <= 2);
        seen.push(...body.items.map((t) => t.id));
        cursor = body.nextCursor;
      } while (cursor);
      const all = await env.services.db.tenant.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
      assert.deepEqual(seen, all.map((t) => t.id));
    });

    it('answers 400 on a forged cursor and an out-of-range limit', async () => {
      assertError(await api(env).get('/v1/admin/tenants?cursor=bm9wZQ').set(env.adminAuth), 400, 'INVALID_CURSOR');
      assertError(await api(env).get('/v1/admin/tenants?limit=0').set(env.adminAuth), 400, 'VALIDATION_ERROR');
      assertError(await api(env).get('/v1/admin/tenants?limit=5000').set(env.adminAuth), 400, 'VALIDATION_ERROR');
    });

    it('shows a tenant with its usage against its limits', async () => {
      const res = await api(env).get(`/v1/admin/tenants/${env.tenantId}`).set(env.adminAuth).expect(200);
      assert.equal(res.body.id, env.tenantId);
      assert.equal(res.body.usage.datasets.used, 0);
      assert.equal(res.body.usage.datasets.limit, DEFAULT_QUOTAS.datasets);
      assert.deepEqual(Object.keys(res.body.usage).sort(), Object.keys(DEFAULT_QUOTAS).sort());
    });

    it('answers 404 TENANT_NOT_FOUND for unknown tenants on every tenant route', async () => {
      const id = 'ten_doesnotexist';
      assertError(await api(env).get(`/v1/admin/tenants/${id}`).set(env.adminAuth), 404, 'TENANT_NOT_FOUND');
      assertError(await api(env).patch(`/v1/admin/tenants/${id}`).set(env.adminAuth).send({ name: 'x' }), 404, 'TENANT_NOT_FOUND');
      assertError(await api(env).delete(`/v1/admin/tenants/${id}`).set(env.adminAuth), 404, 'TENANT_NOT_FOUND');
      assertError(await api(env).get(`/v1/admin/tenants/${id}/keys`).set(env.adminAuth), 404, 'TENANT_NOT_FOUND');
      assertError(await api(env).post(`/v1/admin/tenants/${id}/keys`).set(env.adminAuth).send({}), 404, 'TENANT_NOT_FOUND');
      assertError(await api(env).post(`/v1/admin/tenants/${id}/keys/key_x/revoke`).set(env.adminAuth), 404, 'TENANT_NOT_FOUND');
      assertError(await api(env).post(`/v1/admin/tenants/${id}/keys/key_x/rotate`).set(env.adminAuth), 404, 'TENANT_NOT_FOUND');
    });

    it('sets quotas one by one with PATCH and puts one back to its default with null', async () => {
      const tenant = await createTenantViaApi('patched');
      const set = await api(env).patch(`/v1/admin/tenants/${tenant.id}`).set(env.adminAuth).send({ quotas: { images: 5, activeJobs: 3 } }).expect(200);
      assert.equal(set.body.quotas.images, 5);
      assert.equal(set.body.quotas.activeJobs, 3);
      const reset = await api(env).patch(`/v1/admin/tenants/${tenant.id}`).set(env.adminAuth).send({ quotas: { images: null } }).expect(200);
      assert.equal(reset.body.quotas.images, DEFAULT_QUOTAS.images);
      assert.equal(reset.body.quotas.activeJobs, 3, 'other overrides stay');
      const renamed = await api(env).patch(`/v1/admin/tenants/${tenant.id}`).set(env.adminAuth).send({ name: 'renamed' }).expect(200);
      assert.equal(renamed.body.name, 'renamed');
      assert.equal(renamed.body.quotas.activeJobs, 3);
      const row = await env.services.db.tenant.findUnique({ where: { id: tenant.id } });
      assert.deepEqual(row?.quotas, { activeJobs: 3 });
    });

    it('refuses an empty or invalid PATCH and changes nothing', async () => {
      const tenant = await createTenantViaApi('unpatched', { images: 7 });
      assertError(await api(env).patch(`/v1/admin/tenants/${tenant.id}`).set(env.adminAuth).send({}), 400, 'VALIDATION_ERROR');
      assertError(await api(env).patch(`/v1/admin/tenants/${tenant.id}`).set(env.adminAuth).send({ quotas: { images: -3 } }), 400, 'VALIDATION_ERROR');
      assertError(await api(env).patch(`/v1/admin/tenants/${tenant.id}`).set(env.adminAuth).send({ id: 'ten_other' }), 400, 'VALIDATION_ERROR');
      const row = await env.services.db.tenant.findUnique({ where: { id: tenant.id } });
      assert.deepEqual(row?.quotas, { images: 7 });
      assert.equal(row?.name, 'unpatched');
    });

    it('deletes a tenant with its keys, datasets and images; its keys stop working at once', async () => {
      const { tenantId, apiKey } = await createTenant(env.services.db, 'doomed');
      const ds = await api(env).post('/v1/datasets').set(bearer(apiKey)).send({ name: 'd' }).expect(201);
      await api(env).delete(`/v1/admin/tenants/${tenantId}`).set(env.adminAuth).expect(204);
      assertError(await api(env).get('/v1/datasets').set(bearer(apiKey)), 401, 'INVALID_API_KEY');
      assertError(await api(env).get(`/v1/admin/tenants/${tenantId}`).set(env.adminAuth), 404, 'TENANT_NOT_FOUND');
      assert.equal(await env.services.db.dataset.count({ where: { id: ds.body.id } }), 0);
      assert.equal(await env.services.db.apiKey.count({ where: { tenantId } }), 0);
      assertError(await api(env).delete(`/v1/admin/tenants/${tenantId}`).set(env.adminAuth), 404, 'TENANT_NOT_FOUND');
    });

    it('refuses to delete the admin key\'s own tenant', async () => {
      assertError(await api(env).delete(`/v1/admin/tenants/${env.adminTenantId}`).set(env.adminAuth), 409, 'CANNOT_DELETE_OWN_TENANT');
      assert.equal(await env.services.db.tenant.count({ where: { id: env.adminTenantId } }), 1);
    });
  });

  describe('keys', () => {
    it('creates a key whose secret is shown once and works at once; listing never shows secrets', async () => {
      const tenant = await createTenantViaApi('keyed');
      const key = await createKey(tenant.id, { name: 'ci' });
      assert.match(key.secret, /^ssk_/);
      assert.deepEqual(key.scopes, ['read', 'write']);
      assert.equal(key.expiresAt, null);
      await api(env).get('/v1/datasets').set(bearer(key.secret)).expect(200);
      const list = await api(env).get(`/v1/admin/tenants/${tenant.id}/keys`).set(env.adminAuth).expect(200);
      assert.deepEqual(list.body.items.map((k: { id: string }) => k.id), [key.id]);
      assert.equal(list.body.items[0].name, 'ci');
      assert.ok(!JSON.stringify(list.body).includes(key.secret), 'no secret in the list');
      assert.ok(!JSON.stringify(list.body).includes(hashApiKey(key.secret)), 'no hash in the list');
      const row = await env.services.db.apiKey.findUnique({ where: { id: key.id } });
      assert.equal(row?.hash, hashApiKey(key.secret), 'only the hash is stored');
    });

    it('creates a default key from a POST without a body', async () => {
      const tenant = await createTenantViaApi('bodiless');
      const res = await api(env).post(`/v1/admin/tenants/${tenant.id}/keys`).set(env.adminAuth).expect(201);
      assert.deepEqual(res.body.scopes, ['read', 'write']);
      assert.equal(res.body.name, 'key');
      await api(env).get('/v1/datasets').set(bearer(res.body.secret)).expect(200);
    });

    it('creates keys with chosen scopes and an expiry', async () => {
      const tenant = await createTenantViaApi('scoped');
      const expiresAt = new Date(Date.now() + 3600_000).toISOString();
      const key = await createKey(tenant.id, { scopes: ['read'], expiresAt });
      assert.deepEqual(key.scopes, ['read']);
      assert.equal(key.expiresAt, expiresAt);
    });

    it('refuses bad key requests and adds no key', async () => {
      const tenant = await createTenantViaApi('badkeys');
      const before = await rowCounts(env);
      const cases: Array<[object, string]> = [
        [{ scopes: [] }, 'VALIDATION_ERROR'],
        [{ scopes: ['root'] }, 'VALIDATION_ERROR'],
        [{ scopes: ['read', 'read'] }, 'VALIDATION_ERROR'],
        [{ expiresAt: 'tomorrow' }, 'VALIDATION_ERROR'],
        [{ expiresAt: new Date(Date.now() - 1000).toISOString() }, 'INVALID_EXPIRY'],
        [{ name: '' }, 'VALIDATION_ERROR'],
        [{ secret: 'ssk_mine' }, 'VALIDATION_ERROR'],
      ];
      for (const [body, code] of cases) {
        assertError(await api(env).post(`/v1/admin/tenants/${tenant.id}/keys`).set(env.adminAuth).send(body), 400, code);
      }
      assert.deepEqual(await rowCounts(env), before);
    });

    it('an expired key is refused with 401 API_KEY_EXPIRED', async () => {
      const tenant = await createTenantViaApi('expiring');
      const key = await createKey(tenant.id, { expiresAt: new Date(Date.now() + 1500).toISOString() });
      await api(env).get('/v1/datasets').set(bearer(key.secret)).expect(200);
      await new Promise((r) => setTimeout(r, 1700));
      assertError(await api(env).get('/v1/datasets').set(bearer(key.secret)), 401, 'API_KEY_EXPIRED');
    });

    it('revocation takes effect on the next request and is idempotent', async () => {
      const tenant = await createTenantViaApi('revoking');
      const key = await createKey(tenant.id);
      await api(env).get('/v1/datasets').set(bearer(key.secret)).expect(200);
      const revoked = await api(env).post(`/v1/admin/tenants/${tenant.id}/keys/${key.id}/revoke`).set(env.adminAuth).expect(200);
      assert.ok(revoked.body.revokedAt);
      assertError(await api(env).get('/v1/datasets').set(bearer(key.secret)), 401, 'INVALID_API_KEY');
      const again = await api(env).post(`/v1/admin/tenants/${tenant.id}/keys/${key.id}/revoke`).set(env.adminAuth).expect(200);
      assert.equal(again.body.revokedAt, revoked.body.revokedAt);
    });

    it('a key is only found under its own tenant', async () => {
      const a = await createTenantViaApi('owner');
      const b = await createTenantViaApi('stranger');
      const key = await createKey(a.id);
      assertError(await api(env).post(`/v1/admin/tenants/${b.id}/keys/${key.id}/revoke`).set(env.adminAuth), 404, 'API_KEY_NOT_FOUND');
      assertError(await api(env).post(`/v1/admin/tenants/${b.id}/keys/${key.id}/rotate`).set(env.adminAuth), 404, 'API_KEY_NOT_FOUND');
      await api(env).get('/v1/datasets').set(bearer(key.secret)).expect(200);
    });

    it('rotation gives a new secret with the same name and scopes and revokes the old one', async () => {
      const tenant = await createTenantViaApi('rotating');
      const old = await createKey(tenant.id, { name: 'deploy', scopes: ['read'] });
      const res = await api(env).post(`/v1/admin/tenants/${tenant.id}/keys/${old.id}/rotate`).set(env.adminAuth).expect(201);
      assert.notEqual(res.body.secret, old.secret);
      assert.notEqual(res.body.id, old.id);
      assert.equal(res.body.replaces, old.id);
      assert.equal(res.body.name, 'deploy');
      assert.deepEqual(res.body.scopes, ['read']);
      assertError(await api(env).get('/v1/datasets').set(bearer(old.secret)), 401, 'INVALID_API_KEY');
      await api(env).get('/v1/datasets').set(bearer(res.body.secret)).expect(200);
      assertError(await api(env).post(`/v1/admin/tenants/${tenant.id}/keys/${old.id}/rotate`).set(env.adminAuth), 409, 'API_KEY_REVOKED');
      assert.equal(await env.services.db.apiKey.count({ where: { tenantId: tenant.id } }), 2, 'the refused rotation added no key');
    });
  });

  describe('bootstrap key and production checks', () => {
    it('the bootstrap key has every scope, and an older bootstrap key without admin gets it', async () => {
      const key = generateApiKey();
      const { tenantId } = await createTenant(env.services.db, 'default', key);
      assertError(await api(env).get('/v1/admin/tenants').set(bearer(key)), 403, 'INSUFFICIENT_SCOPE');
      assert.equal(await ensureBootstrapKey(env.services.db, key), tenantId);
      // the upgrade is a direct database write, as another process's would be: the API sees it once
      // the row's NOTIFY evicts its cached copy, which lands a moment after the commit
      await waitFor('the upgraded key to open /v1/admin', async () => {
        const res = await api(env).get('/v1/admin/tenants').set(bearer(key));
        return res.status === 200 ? true : undefined;
      }, 10_000, 50);
      const row = await env.services.db.apiKey.findUnique({ where: { hash: hashApiKey(key) } });
      assert.deepEqual(row?.scopes, ['read', 'write', 'admin']);
    });

    it('production refuses a placeholder or short BOOTSTRAP_API_KEY and accepts a long one', () => {
      const production = (key: string) => () => loadConfig({ NODE_ENV: 'production', BOOTSTRAP_API_KEY: key });
      assert.throws(production('change-me'), (err: Error) => err instanceof ConfigError && /change-me/.test(err.message));
      assert.throws(production('x'.repeat(23)), (err: Error) => err instanceof ConfigError && /23 characters/.test(err.message));
      assert.equal(production('x'.repeat(24))().bootstrapApiKey, 'x'.repeat(24));
      assert.equal(loadConfig({ BOOTSTRAP_API_KEY: 'change-me' }).bootstrapApiKey, 'change-me', 'only production refuses');
    });

    it('`npm start` in production with the placeholder key exits at once with one clear line', async () => {
      const result = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        env: { ...process.env, NODE_ENV: 'production', BOOTSTRAP_API_KEY: 'change-me', DATABASE_URL: env.databaseUrl },
        timeout: 60_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
      );
      assert.equal(result.code, 1);
      assert.match(result.stderr, /BOOTSTRAP_API_KEY is the placeholder "change-me"/);
      assert.ok(!/\n\s+at /.test(result.stderr), 'no stack trace');
    });
  });

  describe('npm run admin', () => {
    const cli = async (...args: string[]) => {
      const s3 = env.config.s3!;
      return run(process.execPath, ['--import', 'tsx', 'src/cli/admin.ts', ...args], {
        env: {
          ...process.env,
          DATABASE_URL: env.databaseUrl,
          S3_ENDPOINT: s3.endpoint,
          S3_BUCKET: s3.bucket,
          AWS_ACCESS_KEY_ID: s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
          LOG_LEVEL: 'silent',
        },
        timeout: 60_000,
      }).then(
        (out) => ({ code: 0, stdout: out.stdout, stderr: out.stderr }),
        (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
      );
    };

    it('creates a tenant with a key and a quota, makes and rotates keys, and the keys work over HTTP', async () => {
      const created = await cli('tenants', 'create', 'from-shell', '--quota', 'datasets=3', '--key');
      assert.equal(created.code, 0, created.stderr);
      const tenant = JSON.parse(created.stdout);
      assert.equal(tenant.quotas.datasets, 3);
      await api(env).get('/v1/datasets').set(bearer(tenant.key.secret)).expect(200);

      const key = JSON.parse((await cli('keys', 'create', tenant.id, '--scopes', 'read', '--name', 'ro')).stdout);
      assert.deepEqual(key.scopes, ['read']);
      assertError(await api(env).post('/v1/datasets').set(bearer(key.secret)).send({ name: 'x' }), 403, 'INSUFFICIENT_SCOPE');

      const rotated = JSON.parse((await cli('keys', 'rotate', tenant.id, key.id)).stdout);
      assertError(await api(env).get('/v1/datasets').set(bearer(key.secret)), 401, 'INVALID_API_KEY');
      await api(env).get('/v1/datasets').set(bearer(rotated.secret)).expect(200);

      const revoked = await cli('keys', 'revoke', tenant.id, rotated.id);
      assert.equal(revoked.code, 0);
      assertError(await api(env).get('/v1/datasets').set(bearer(rotated.secret)), 401, 'INVALID_API_KEY');

      const quota = JSON.parse((await cli('tenants', 'set-quota', tenant.id, 'datasets=default', 'images=9')).stdout);
      assert.equal(quota.quotas.datasets, DEFAULT_QUOTAS.datasets);
      assert.equal(quota.quotas.images, 9);

      const listed = JSON.parse((await cli('keys', 'list', tenant.id)).stdout);
      assert.equal(listed.items.length, 3);
      assert.ok(!created.stdout.includes('"hash"'));

      const deleted = await cli('tenants', 'delete', tenant.id);
      assert.equal(deleted.code, 0, deleted.stderr);
      assertError(await api(env).get('/v1/datasets').set(bearer(tenant.key.secret)), 401, 'INVALID_API_KEY');
    });

    it('says what is wrong: usage errors exit 2, domain errors exit 1 with their code', async () => {
      const unknown = await cli('tenants', 'frobnicate');
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /unknown command/);
      const badQuota = await cli('tenants', 'create', 'x', '--quota', 'images=lots');
      assert.equal(badQuota.code, 2);
      assert.match(badQuota.stderr, /images must be a non-negative integer/);
      const missing = await cli('keys', 'revoke', 'ten_nope', 'key_nope');
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^error TENANT_NOT_FOUND: tenant ten_nope not found$/m);
    });
  });
});
