// The dataset list (prepared statements on the raw pool) answers exactly what the Prisma query it
// replaced answered: the same rows, fields and timestamps, in the same order, across pages whose
// boundaries fall inside runs of equal createdAt, with the same cursors; REST and GraphQL alike.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { tenantIdOf } from '../helpers/jobFixtures.ts';
import { listDatasets, type Page } from '../../src/domain/datasets.ts';
import { afterCursor, PAGE_ORDER, toPage } from '../../src/domain/cursor.ts';
import { newId } from '../../src/domain/ids.ts';

describe('dataset list read path', () => {
  let env: TestEnv;
  let tenantId: string;

  before(async () => {
    env = await createTestEnv();
    tenantId = await tenantIdOf(env, env.apiKey);
    const other = await tenantIdOf(env, env.otherApiKey);
    // three runs of equal createdAt (the id breaks the tie), milliseconds that must survive, a null description
    const stamps = ['2026-11-30T10:00:00.123Z', '2026-11-30T10:00:00.123Z', '2026-11-30T10:00:00.123Z', '2026-11-29T23:59:59.999Z', '2026-11-29T23:59:59.999Z', '2026-11-28T00:00:00.000Z', '2027-01-01T00:00:00.001Z'];
    for (const [i, at] of stamps.entries()) {
      await env.services.db.dataset.create({
        data: { id: newId('ds'), tenantId, name: `set ${i}`, description: i % 2 ? null : `about ${i}`, createdAt: new Date(at), updatedAt: new Date(Date.parse(at) + i) },
      });
    }
    await env.services.db.dataset.create({ data: { id: newId('ds'), tenantId: other, name: 'not yours', createdAt: new Date(stamps[0]) } });
  });
  after(async () => env?.close());

  /** The Prisma query the list used to run. */
  const viaPrisma = async (page: Page) =>
    toPage(
      await env.services.db.dataset.findMany({
        where: { tenantId, ...afterCursor(page.cursor) },
        orderBy: PAGE_ORDER,
        take: page.limit + 1,
        select: { id: true, name: true, description: true, createdAt: true, updatedAt: true },
      }),
      page.limit,
    );

  async function allPages(list: (page: Page) => Promise<{ items: unknown[]; nextCursor: string | null }>, limit: number) {
    const pages = [];
    let cursor: string | undefined;
    do {
      const page = await list({ limit, cursor });
      pages.push(page);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return pages;
  }

  it('answers the Prisma pages, page for page, cursors included', async () => {
    for (const limit of [1, 2, 3, 7, 100]) {
      const pages = await allPages((page) => listDatasets(env.services.pool, tenantId, page), limit);
      assert.deepEqual(pages, await allPages(viaPrisma, limit), `limit ${limit}`);
      assert.equal(pages.flatMap((p) => p.items).length, 7);
    }
  });

  it('REST and GraphQL serve the same list', async () => {
    const expected = JSON.parse(JSON.stringify(await viaPrisma({ limit: 3 })));
    const rest = await request(env.app.server).get('/v1/datasets?limit=3').set(env.auth).expect(200);
    assert.deepEqual(rest.body, expected);
    const next = await request(env.app.server).get('/v1/datasets').query({ limit: 3, cursor: expected.nextCursor }).set(env.auth).expect(200);
    assert.deepEqual(next.body, JSON.parse(JSON.stringify(await viaPrisma({ limit: 3, cursor: expected.nextCursor }))));
    const gql = await request(env.app.server)
      .post('/graphql')
      .set(env.auth)
      .send({ query: '{ datasets(limit: 3) { items { id name description createdAt updatedAt } nextCursor } }' })
      .expect(200);
    assert.equal(gql.body.errors, undefined);
    assert.deepEqual(gql.body.data.datasets, expected);
  });

  it('refuses a forged cursor as before', async () => {
    const res = await request(env.app.server).get('/v1/datasets').query({ cursor: 'bm90IGpzb24' }).set(env.auth).expect(400);
    assert.equal(res.body.error.code, 'INVALID_CURSOR');
  });
});
