// `npm start` on the embedded default, stopped the ways people stop it: Ctrl-C in a terminal (SIGINT
// to every process of the foreground group, embedded PostgreSQL and S3 included) while a job trains,
// SIGKILL, and a second service started on a DATA_DIR already in use. Real processes, real HTTP.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/embedded/freePort.ts';
import { patternPng } from '../helpers/images.ts';
import { makeTar } from '../ingest/fixtures.ts';
import { waitFor } from '../helpers/waitFor.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const JOB = { backbone: 'resnet-tiny', imageSize: 16, channels: 1, batchSize: 16, projectorDim: 64, knnEveryEpochs: 0, epochs: 30 };
const EXIT_WITHIN_MS = 30_000;

interface Service {
  child: ChildProcess;
  url: string;
  apiKey: string;
  output: () => string;
}

/** `npm start`'s entry point as its own process group, as a terminal runs it. */
async function startService(dataDir: string, port: number): Promise<Service> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: '', S3_ENDPOINT: '', S3_BUCKET: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const apiKey = await waitFor('the service to print its API key', async () => {
    if (child.exitCode !== null) throw new Error(`service exited ${child.exitCode}: ${out}`);
    return /API key\s+(\S+)/.exec(out)?.[1];
  }, 120_000, 100);
  return { child, url: `http://127.0.0.1:${port}`, apiKey, output: () => out };
}

/** The exit code, or a failure when it is still running after `withinMs`. */
async function exitCode(child: ChildProcess, withinMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running ${withinMs / 1000} s after the signal`)), withinMs))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function call<T>(service: Service, method: string, route: string, body?: unknown, contentType = 'application/json'): Promise<T> {
  const res = await fetch(`${service.url}/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${service.apiKey}`, ...(body !== undefined && { 'content-type': contentType }) },
    body: body === undefined ? undefined : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

interface JobView {
  id: string;
  status: string;
  attempts: number;
  resumedFromEpoch: number | null;
  progress: { step?: number } | null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const text = await fs.readFile(path.join(dataDir, 'postgres/postmaster.pid'), 'utf8').catch(() => '');
  return Number(text.split('\n')[0]) || undefined;
}

describe('stopping `npm start`', () => {
  const dirs: string[] = [];
  const running: ChildProcess[] = [];
  const dataDir = async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-interrupt-'));
    // as root, the embedded PostgreSQL runs as `postgres`, which must get in
    await fs.chmod(dir, 0o755);
    dirs.push(dir);
    return dir;
  };
  const start = async (dir: string, port: number) => {
    const service = await startService(dir, port);
    running.push(service.child);
    return service;
  };
  after(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    for (const dir of dirs) {
      const pid = await postmasterPid(dir);
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('Ctrl-C while a job trains: the job goes back to the queue with a checkpoint, and the next start finishes it', async () => {
    const dir = await dataDir();
    const port = await freePort();
    let service = await start(dir, port);
    const dataset = await call<{ id: string }>(service, 'POST', '/datasets', { name: 'patterns' });
    const images = await Promise.all(Array.from({ length: 64 }, (_, i) => patternPng(i % 4, i, 16)));
    const archive = await makeTar(images.map((data, i) => ({ name: `train/c${i % 4}/${i}.png`, data })));
    await call(service, 'POST', `/datasets/${dataset.id}/archive`, archive, 'application/x-tar');
    const job = await call<JobView>(service, 'POST', '/jobs', { datasetId: dataset.id, config: JOB });
    await waitFor('training to pass step 2', async () => {
      const j = await call<JobView>(service, 'GET', `/jobs/${job.id}`);
      return j.status === 'running' && (j.progress?.step ?? 0) >= 2 ? j : undefined;
    }, 120_000, 50);

    process.kill(-service.child.pid!, 'SIGINT');
    assert.equal(await exitCode(service.child, EXIT_WITHIN_MS), 0, service.output());
    assert.equal(await postmasterPid(dir), undefined, 'the embedded PostgreSQL stopped with the service');

    service = await start(dir, port);
    const done = await waitFor('the job to finish', async () => {
      const j = await call<JobView>(service, 'GET', `/jobs/${job.id}`);
      return j.status === 'succeeded' || j.status === 'failed' ? j : undefined;
    }, 240_000, 200);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.attempts, 2, 'handed back once, resumed once');
    assert.notEqual(done.resumedFromEpoch, null, 'the second attempt resumed from the checkpoint');
    process.kill(-service.child.pid!, 'SIGTERM');
    assert.equal(await exitCode(service.child, EXIT_WITHIN_MS), 0);
  });

  it('after SIGKILL, the next start stops the PostgreSQL left running and comes up on the same data', async () => {
    const dir = await dataDir();
    const port = await freePort();
    let service = await start(dir, port);
    const dataset = await call<{ id: string }>(service, 'POST', '/datasets', { name: 'kept' });
    const left = await postmasterPid(dir);
    assert.ok(left);
    service.child.kill('SIGKILL');
    await exitCode(service.child, EXIT_WITHIN_MS);
    assert.ok(alive(left), 'the embedded PostgreSQL outlives a killed service');

    service = await start(dir, port);
    assert.ok(!alive(left), 'the leftover was stopped');
    const list = await call<{ items: Array<{ id: string }> }>(service, 'GET', '/datasets');
    assert.ok(list.items.some((d) => d.id === dataset.id));
    process.kill(-service.child.pid!, 'SIGTERM');
    assert.equal(await exitCode(service.child, EXIT_WITHIN_MS), 0);
  });

  it('a second service on a DATA_DIR in use refuses to start, in one line, and leaves the first alone', async () => {
    const dir = await dataDir();
    const first = await start(dir, await freePort());
    const second = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dir, PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: '', S3_ENDPOINT: '', S3_BUCKET: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(second);
    let stderr = '';
    second.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    assert.equal(await exitCode(second, 120_000), 1);
    assert.match(stderr, new RegExp(`Another service \\(pid ${first.child.pid}\\) is running on this DATA_DIR`));
    assert.ok(!/\n\s+at /.test(stderr), 'no stack trace');
    assert.ok((await call<{ items: unknown[] }>(first, 'GET', '/datasets')).items);
    process.kill(-first.child.pid!, 'SIGTERM');
    assert.equal(await exitCode(first.child, EXIT_WITHIN_MS), 0);
  });
});
