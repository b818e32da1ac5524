// Rows that job and GraphQL tests need, written straight through Prisma so those tests do not depend
// on the ingest code: datasets with image rows, and a job moved along as a worker would move it.
import { createHash } from 'node:crypto';
import request from 'supertest';
import type { TestEnv } from './harness.ts';
import { authenticate } from '../../src/domain/tenants.ts';
import { newId } from '../../src/domain/ids.ts';

export async function tenantIdOf(env: TestEnv, apiKey: string): Promise<string> {
  const principal = await authenticate(env.services.apiKeys, apiKey);
  if (!principal) throw new Error('test api key does not authenticate');
  return principal.tenantId;
}

/** A dataset of `labels.length` image rows (no bytes in S3: nothing here reads them). */
export async function createDataset(env: TestEnv, tenantId: string, labels: Array<string | null> = ['cat', 'dog']) {
  const id = newId('ds');
  await env.services.db.dataset.create({ data: { id, tenantId, name: `ds ${id}`, description: 'fixture' } });
  for (const [i, label] of labels.entries()) {
    const sha256 = createHash('sha256').update(`${id}/${i}`).digest('hex');
    await env.services.db.image.create({
      data: {
        id: newId('img'),
        datasetId: id,
        s3Key: `images/${sha256}`,
        sha256,
        format: 'png',
        width: 28,
        height: 28,
        channels: 1,
        bytes: 100,
        label,
        originalName: `${i}.png`,
      },
    });
  }
  return id;
}

/**
 * Creates a job through the API (the only way a job should come to exist) and returns its body. The
 * fixture datasets are small: batches of 2 unless the test says otherwise.
 */
export async function postJob(env: TestEnv, datasetId: string, config: object = {}, auth = env.auth) {
  const res = await request(env.app.server).post('/v1/jobs').set(auth).send({ datasetId, config: { batchSize: 2, ...config } }).expect(202);
  return res.body as { id: string; status: string; [k: string]: unknown };
}

/** What a worker does when it claims a job: mark it running and tell the listeners. */
export async function markRunning(env: TestEnv, jobId: string) {
  await env.services.db.job.update({
    where: { id: jobId },
    data: { status: 'running', startedAt: new Date(), attempts: { increment: 1 }, backend: 'cpu', workerId: 'test-worker' },
  });
  await env.services.events.notify(jobId);
}
