// Shared by the test/admin files: an environment with an admin key (the bootstrap key, as `npm start`
// makes it), the error-shape assertion, and row counts for "nothing was half-added" checks.
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Response } from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { ensureBootstrapKey, generateApiKey } from '../../src/domain/tenants.ts';

export interface AdminEnv extends TestEnv {
  adminKey: string;
  adminTenantId: string;
  adminAuth: { Authorization: string };
}

export async function createAdminEnv(env: Record<string, string> = {}): Promise<AdminEnv> {
  const base = await createTestEnv(env);
  const adminKey = generateApiKey();
  const adminTenantId = await ensureBootstrapKey(base.services.db, adminKey);
  return { ...base, adminKey, adminTenantId, adminAuth: { Authorization: `Bearer ${adminKey}` } };
}

export const api = (env: TestEnv) => request(env.app.server);
export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** The response is `status` with exactly `{error: {code, message[, details]}}` and this code. */
export function assertError(res: Response, status: number, code: string) {
  assert.equal(res.status, status, `${res.status} ${JSON.stringify(res.body)}`);
  assert.match(String(res.headers['content-type']), /application\/json/);
  assert.deepEqual(Object.keys(res.body), ['error']);
  const error = res.body.error as Record<string, unknown>;
  assert.equal(error.code, code);
  assert.equal(typeof error.message, 'string');
  assert.ok((error.message as string).length > 0);
  for (const key of Object.keys(error)) assert.ok(['code', 'message', 'details'].includes(key), `unexpected error field ${key}`);
}

/** Row counts of every table a request could half-fill. */
export async function rowCounts(env: TestEnv): Promise<Record<string, number>> {
  const tables = ['tenants', 'api_keys', 'datasets', 'images', 'jobs', 'checkpoints', 'metric_points', 'embedding_sets', 'evaluations'];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const { rows } = await env.services.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    counts[table] = rows[0]!.n;
  }
  return counts;
}

/** Every object in the test bucket. */
export async function bucketKeys(env: TestEnv): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of env.services.blobs.list('')) keys.push(object.key);
  return keys.sort();
}

/** After each case: the server still answers. */
export async function assertAlive(env: TestEnv) {
  const res = await api(env).get('/healthz');
  assert.equal(res.status, 200);
}
