// Checks every hostile case in test/security makes: the JSON error shape with a code, and a server
// that still answers afterwards.
import assert from 'node:assert/strict';
import request from 'supertest';
import type { TestEnv } from '../helpers/harness.ts';

export function assertError(res: { status: number; body: unknown }, status: number, code: string) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  const error = (res.body as { error?: { code?: unknown; message?: unknown } }).error;
  assert.ok(error, `no {error} in ${JSON.stringify(res.body)}`);
  assert.equal(error.code, code);
  assert.equal(typeof error.message, 'string');
  assert.ok((error.message as string).length > 0);
}

/** No internal text: stack frames, source paths, ORM or SQL wording. */
export function assertNoInternals(body: unknown) {
  const text = JSON.stringify(body);
  for (const leak of ['/work/', 'node_modules', '.ts:', 'prisma', 'Prisma', 'invocation', 'SELECT', 'stack']) {
    assert.ok(!text.includes(leak), `response leaks "${leak}": ${text.slice(0, 300)}`);
  }
}

export async function assertStillAnswers(env: TestEnv) {
  const res = await request(env.app.server).get('/v1/datasets').set(env.auth);
  assert.equal(res.status, 200);
  const health = await request(env.app.server).get('/healthz');
  assert.equal(health.status, 200);
}
