// Two uploads of the same images (different random ids) must list in the same order: every seeded
// shuffle of training and probing indexes into this list.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { seedLabeledDataset } from '../helpers/images.ts';
import { datasetImages } from '../../src/data/manifest.ts';

let env: TestEnv;
before(async () => {
  env = await createTestEnv();
});
after(async () => {
  await env?.close();
});

test('the same images in two datasets list in the same (content) order, whatever their ids', async () => {
  const first = await datasetImages(env.services.db, await seedLabeledDataset(env.services, env.tenantId, 3, 8));
  const second = await datasetImages(env.services.db, await seedLabeledDataset(env.services, env.tenantId, 3, 8));
  assert.equal(first.length, 24);
  assert.notDeepEqual(first.map((i) => i.id), second.map((i) => i.id));
  assert.deepEqual(first.map((i) => i.sha256), second.map((i) => i.sha256));
  assert.deepEqual(first.map((i) => i.label), second.map((i) => i.label));
  assert.deepEqual(first.map((i) => i.sha256), first.map((i) => i.sha256).sort());
});
