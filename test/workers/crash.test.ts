// Worker processes die: SIGKILL loses at most the work since the last checkpoint, SIGTERM hands the
// job back after a checkpoint. Real processes (`npm run worker`'s entry point), real PostgreSQL, s3rver.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { seedLabeledDataset } from '../helpers/images.ts';
import { waitFor as poll } from '../helpers/waitFor.ts';

// pg-boss reads the heartbeat when it creates the queues; 10 s is its minimum
process.env.QUEUE_HEARTBEAT_SECONDS = '10';

const CONFIG = { backbone: 'resnet-tiny', imageSize: 16, channels: 1, batchSize: 16, projectorDim: 64, knnEveryEpochs: 0 };
const STEPS_PER_EPOCH = 4;
// two worker start-ups and a lapsed heartbeat fit in these waits
const waitFor = <T>(what: string, fn: () => Promise<T | undefined>) => poll(what, fn, 240_000, 100);


describe('worker crash and preemption', () => {
  let env: TestEnv;
  let datasetId: string;
  let cacheDir: string;
  const children: ChildProcess[] = [];

  const spawnWorker = () => {
    const s3 = env.config.s3!;
    const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
      env: {
        ...process.env,
        DATABASE_URL: env.databaseUrl,
        S3_ENDPOINT: s3.endpoint,
        S3_BUCKET: s3.bucket,
        S3_FORCE_PATH_STYLE: 'true',
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        DATA_DIR: cacheDir,
        SIMSIAM_BACKEND: 'wasm',
        WORKER_REPORT_INTERVAL_MS: '0',
        // any free port: workers of parallel test runs must not compete for the default
        METRICS_PORT: '0',
        LOG_LEVEL: process.env.WORKER_LOG_LEVEL ?? 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(child);
    return child;
  };
  const exited = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()));
  const stopAll = async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
    children.length = 0;
  };
  const job = (id: string) => env.services.db.job.findUniqueOrThrow({ where: { id } });
  const postJob = async (epochs: number) =>
    (await request(env.app.server).post('/v1/jobs').set(env.auth).send({ datasetId, config: { ...CONFIG, epochs } }).expect(202)).body.id as string;

  before(async () => {
    env = await createTestEnv();
    cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-worker-'));
    const tenant = await env.services.db.tenant.findFirstOrThrow({ where: { name: 'tenant-a' } });
    datasetId = await seedLabeledDataset(env.services, tenant.id, 4, 16);
  });
  after(async () => {
    await stopAll();
    await env.close();
    await fs.rm(cacheDir, { recursive: true, force: true });
  });

  it('SIGKILL after a checkpoint: another worker resumes from it, nothing lost or counted twice', async (t) => {
    const epochs = 12;
    const id = await postJob(epochs);
    const first = spawnWorker();
    await waitFor('first checkpoint', () => env.services.db.checkpoint.findFirst({ where: { jobId: id } }).then((c) => c ?? undefined));
    first.kill('SIGKILL');
    const killedAt = Date.now();
    await exited(first);
    const resumeFrom = await env.services.db.checkpoint.findFirstOrThrow({ where: { jobId: id, isFinal: false }, orderBy: { step: 'desc' } });
    assert.equal((await job(id)).status, 'running', 'the killed attempt left the job running');

    spawnWorker();
    const resumed = await waitFor('second attempt', async () => {
      const j = await job(id);
      return j.attempts === 2 && j.status === 'running' ? j : undefined;
    });
    t.diagnostic(`time to resume after SIGKILL: ${((Date.now() - killedAt) / 1000).toFixed(1)} s`);
    assert.equal(resumed.resumedFromEpoch, resumeFrom.epoch);

    const done = await waitFor('job to succeed', async () => {
      const j = await job(id);
      return j.status === 'succeeded' || j.status === 'failed' ? j : undefined;
    });
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.attempts, 2);
    const metrics = await env.services.db.metricPoint.findMany({ where: { jobId: id }, orderBy: { step: 'asc' } });
    // every step reported exactly once, across both attempts
    assert.deepEqual(metrics.map((m) => m.step), Array.from({ length: epochs * STEPS_PER_EPOCH }, (_, i) => i + 1));
    const final = await env.services.db.checkpoint.findFirstOrThrow({ where: { jobId: id, isFinal: true } });
    assert.equal(final.step, epochs * STEPS_PER_EPOCH);
    await stopAll();
  });

  it('SIGTERM: the worker checkpoints, hands the job back and exits; the next worker finishes it', async () => {
    const epochs = 10;
    const id = await postJob(epochs);
    const worker = spawnWorker();
    await waitFor('training to progress', async () => {
      const j = await job(id);
      return j.status === 'running' && (j.progress as { step?: number } | null)?.step! >= 2 ? j : undefined;
    });
    worker.kill('SIGTERM');
    await exited(worker);
    assert.equal(worker.exitCode, 0, `worker exit: code ${worker.exitCode}, signal ${worker.signalCode}`);
    const handedBack = await job(id);
    assert.equal(handedBack.status, 'queued');
    const checkpoint = await env.services.db.checkpoint.findFirstOrThrow({ where: { jobId: id }, orderBy: { step: 'desc' } });
    assert.equal(checkpoint.step, (handedBack.progress as { step: number }).step, 'checkpoint at the step it stopped');

    spawnWorker();
    const done = await waitFor('job to succeed', async () => {
      const j = await job(id);
      return j.status === 'succeeded' || j.status === 'failed' ? j : undefined;
    });
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.attempts, 2);
    assert.equal(done.resumedFromEpoch, checkpoint.epoch);
  });
});
