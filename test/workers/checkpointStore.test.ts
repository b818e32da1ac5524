// Checkpoint writes on real PostgreSQL and a real s3rver: saving one step twice (two triggers at one
// step, a resumed attempt stopping where it started) is idempotent, and an S3 server that is down
// for a moment is waited out; one that stays down makes the save fail without leaving a row.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { createDataset, postJob, tenantIdOf } from '../helpers/jobFixtures.ts';
import { startEmbeddedS3, type EmbeddedS3Handle } from '../../src/embedded/s3server.ts';
import { freePort } from '../../src/embedded/freePort.ts';
import { createBlobStore } from '../../src/storage/s3.ts';
import { checkpointStore } from '../../workers/training/checkpointStore.ts';

// waits of 0.2, 0.4, 0.8, 1.6, 3, 3 s: a restart (a child process start) within about 9 s is waited out
const RETRY = { retries: 6, baseDelayMs: 200, maxDelayMs: 3000 };

describe('checkpoint store', () => {
  let env: TestEnv;
  let s3Dir: string;
  let port: number;
  let s3: EmbeddedS3Handle;
  let jobId: string;

  const startS3 = () =>
    startEmbeddedS3({
      directory: path.join(s3Dir, 'objects'),
      credentialsFile: path.join(s3Dir, 'credentials.json'),
      maxPresignedUploadBytes: 1024,
      port,
    });
  const store = () => checkpointStore({ ...env.services, blobs: createBlobStore(s3.s3) }, jobId, RETRY);
  const bytes = (fill: number) => new Uint8Array(64).fill(fill);
  const rows = () => env.services.db.checkpoint.findMany({ where: { jobId }, orderBy: [{ step: 'asc' }, { isFinal: 'asc' }] });

  before(async () => {
    env = await createTestEnv();
    s3Dir = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-ckpt-s3-'));
    port = await freePort();
    s3 = await startS3();
    await createBlobStore(s3.s3).ensureBucket();
    const datasetId = await createDataset(env, await tenantIdOf(env, env.apiKey));
    jobId = (await postJob(env, datasetId)).id;
  });
  after(async () => {
    await s3.stop();
    await env.close();
    await fs.rm(s3Dir, { recursive: true, force: true });
  });

  it('saving the same step twice keeps one row with the newest bytes; the final one at that step is its own row', async () => {
    const checkpoints = store();
    await checkpoints.save({ epoch: 1, step: 4, bytes: bytes(1), metrics: { n: 1 }, final: false, keep: 3 });
    await checkpoints.save({ epoch: 1, step: 4, bytes: bytes(2), metrics: { n: 2 }, final: false, keep: 3 });
    await checkpoints.save({ epoch: 1, step: 4, bytes: bytes(3), metrics: { n: 3 }, final: true, keep: 3 });
    const saved = await rows();
    assert.deepEqual(saved.map((r) => [r.step, r.isFinal, r.metrics]), [[4, false, { n: 2 }], [4, true, { n: 3 }]]);
    const latest = await checkpoints.latest();
    assert.equal(latest?.step, 4);
    assert.deepEqual(latest?.bytes, Buffer.from(bytes(3)));
  });

  it('concurrent saves of one step both succeed and leave one row', async () => {
    const checkpoints = store();
    await Promise.all([1, 2, 3].map((n) => checkpoints.save({ epoch: 2, step: 8, bytes: bytes(n), metrics: { n }, final: false, keep: 3 })));
    assert.equal((await rows()).filter((r) => r.step === 8).length, 1);
  });

  it('an S3 server that restarts while a checkpoint is written: the save waits and succeeds', async () => {
    await s3.stop();
    const saving = store().save({ epoch: 3, step: 12, bytes: bytes(7), metrics: {}, final: false, keep: 3 });
    // settled here: the save may fail while the server is still starting, and that is the assertion
    const settled = saving.then((row) => ({ row }), (err: unknown) => ({ err }));
    await new Promise((r) => setTimeout(r, 700));
    s3 = await startS3();
    const outcome = await settled;
    assert.ok('row' in outcome, `save failed: ${'err' in outcome && String(outcome.err)}`);
    const { row } = outcome;
    assert.equal(row.step, 12);
    assert.deepEqual(await createBlobStore(s3.s3).get(row.s3Key), Buffer.from(bytes(7)));
  });

  it('an S3 server that stays down: the save fails after its retries and writes no row', async () => {
    await s3.stop();
    try {
      await assert.rejects(store().save({ epoch: 4, step: 16, bytes: bytes(9), metrics: {}, final: false, keep: 3 }));
      assert.equal((await rows()).filter((r) => r.step === 16).length, 0);
    } finally {
      s3 = await startS3();
    }
  });
});
