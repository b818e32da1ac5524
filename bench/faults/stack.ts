// The service as production runs it, for fault scripts that act on it from outside: a database of
// its own on a PostgreSQL server, an S3 server (s3rver behind its SigV4 guard, on a fixed port so a
// restart keeps the endpoint), the API (`src/main.ts`, NODE_ENV=production) and any number of
// workers (`workers/main.ts`), each a separate process that can be SIGKILLed and started again.
// The scripts watch the service through its HTTP API and read its tables with a plain pg client.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedS3, type EmbeddedS3Handle } from '../../src/embedded/s3server.ts';
import { freePort } from '../../src/embedded/freePort.ts';
import { createBlobStore, type BlobStore } from '../../src/storage/s3.ts';
import { patternPng } from '../../test/helpers/images.ts';
import { makeTar } from '../../test/ingest/fixtures.ts';
import { waitFor } from '../../test/helpers/waitFor.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface StackOptions {
  /** a database is created on this server (and dropped at the end) */
  pgAdminUrl: string;
  /** QUEUE_HEARTBEAT_SECONDS of every process (pg-boss's minimum is 10) */
  heartbeatSeconds: number;
  /** SIMSIAM_BACKEND of the workers: cpu is bit-deterministic, wasm (native kernels) much faster */
  backend?: 'cpu' | 'wasm';
  /** worker log level; the processes' output goes to files under the stack's directory */
  logLevel?: string;
}

export interface Stack {
  databaseUrl: string;
  apiUrl: string;
  apiKey: string;
  db: pg.Pool;
  blobs: BlobStore;
  dir: string;
  startApi(): Promise<void>;
  killApi(): Promise<void>;
  startWorker(): ChildProcess;
  killWorker(worker: ChildProcess): Promise<void>;
  workers: ChildProcess[];
  startS3(): Promise<void>;
  stopS3(): Promise<void>;
  /** `fetch` on the API with the bootstrap key */
  api(pathname: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()));

export async function startStack(opts: StackOptions): Promise<Stack> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-faults-'));
  const dbName = `simsiam_faults_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: opts.pgAdminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const dbUrl = new URL(opts.pgAdminUrl);
  dbUrl.pathname = `/${dbName}`;
  const databaseUrl = dbUrl.toString();
  const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  // the scripts' own connections die with a PostgreSQL restart too; a query retries, the pool lives
  db.on('error', () => {});

  const s3Port = await freePort();
  let s3: EmbeddedS3Handle | undefined;
  const startS3 = async () => {
    s3 = await startEmbeddedS3({
      directory: path.join(dir, 's3'),
      credentialsFile: path.join(dir, 's3-credentials.json'),
      bucket: 'faults',
      maxPresignedUploadBytes: 32 * 1024 ** 2,
      port: s3Port,
    });
  };
  await startS3();
  const s3Config = s3!.s3;
  const blobs = createBlobStore(s3Config);

  const apiPort = await freePort();
  const apiKey = `faults-${randomBytes(18).toString('base64url')}`;
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    S3_ENDPOINT: s3Config.endpoint,
    S3_BUCKET: s3Config.bucket,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: s3Config.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3Config.secretAccessKey,
    BOOTSTRAP_API_KEY: apiKey,
    QUEUE_HEARTBEAT_SECONDS: String(opts.heartbeatSeconds),
    IN_PROCESS_WORKER: 'false',
    HOST: '127.0.0.1',
    // one key sends every request of the load generator
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: opts.logLevel ?? 'warn',
  };
  const logFile = async (name: string) => (await fs.open(path.join(dir, `${name}.log`), 'a')).createWriteStream();
  const spawnNode = async (entry: string, name: string, extra: Record<string, string>) => {
    const out = await logFile(name);
    const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    return child;
  };

  let apiProcess: ChildProcess | undefined;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const api = (pathname: string, init: RequestInit = {}) =>
    fetch(`${apiUrl}${pathname}`, { ...init, headers: { authorization: `Bearer ${apiKey}`, ...(init.headers as Record<string, string>) } });
  const startApi = async () => {
    apiProcess = await spawnNode('src/main.ts', 'api', { PORT: String(apiPort) });
    const child = apiProcess;
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode}; see ${dir}/api.log`);
      const ready = await fetch(`${apiUrl}/readyz`).then((r) => r.ok, () => false);
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`the API did not become ready; see ${dir}/api.log`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const killApi = async () => {
    if (!apiProcess) return;
    apiProcess.kill('SIGKILL');
    await exited(apiProcess);
  };

  const workers: ChildProcess[] = [];
  let workerCount = 0;
  const startWorker = () => {
    const n = workerCount++;
    const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
      cwd: ROOT,
      env: {
        ...env,
        SIMSIAM_BACKEND: opts.backend ?? 'cpu',
        // every step reports, so the scripts see training resume to the step
        WORKER_REPORT_INTERVAL_MS: '0',
        METRICS_PORT: '0',
        // each worker its own decoded-image cache, as on separate machines
        DATA_DIR: path.join(dir, `worker-${n}`),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    void logFile(`worker-${n}`).then((out) => {
      child.stdout!.pipe(out);
      child.stderr!.pipe(out);
    });
    workers.push(child);
    return child;
  };
  const killWorker = async (worker: ChildProcess) => {
    worker.kill('SIGKILL');
    await exited(worker);
  };

  return {
    databaseUrl,
    apiUrl,
    apiKey,
    db,
    blobs,
    dir,
    startApi,
    killApi,
    startWorker,
    killWorker,
    workers,
    startS3,
    async stopS3() {
      await s3?.stop();
    },
    api,
    async close() {
      for (const w of workers) w.kill('SIGKILL');
      apiProcess?.kill('SIGKILL');
      await Promise.all([...workers, ...(apiProcess ? [apiProcess] : [])].map(exited));
      await s3?.stop();
      await db.end();
      const c = new pg.Client({ connectionString: opts.pgAdminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
      if (!process.env.FAULTS_KEEP_DIR) await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A labeled dataset of `classes` × `perClass` small PNGs, uploaded through the API as a tar archive;
 * its id and its image count (identical images are stored once).
 */
export async function uploadDataset(stack: Stack, classes: number, perClass: number): Promise<{ id: string; images: number }> {
  const created = await stack.api('/v1/datasets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'faults' }) });
  if (created.status !== 201) throw new Error(`creating the dataset answered ${created.status}: ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const entries = [];
  for (let cls = 0; cls < classes; cls++) {
    for (let i = 0; i < perClass; i++) entries.push({ name: `class-${cls}/${i}.png`, data: await patternPng(cls, i) });
  }
  const res = await stack.api(`/v1/datasets/${id}/archive`, { method: 'POST', headers: { 'content-type': 'application/x-tar' }, body: new Uint8Array(await makeTar(entries)) });
  if (!res.ok) throw new Error(`uploading the archive answered ${res.status}: ${await res.text()}`);
  const { rows } = await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM images WHERE dataset_id = $1', [id]);
  return { id, images: rows[0]!.n };
}

/** POST /v1/jobs; the status and the job id when accepted. */
export async function postJob(stack: Stack, datasetId: string, config: object): Promise<{ status: number; id?: string }> {
  const res = await stack.api('/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ datasetId, config }) });
  const body = (await res.json().catch(() => ({}))) as { id?: string };
  return { status: res.status, id: res.status === 202 ? body.id : undefined };
}

export interface JobRow {
  status: string;
  attempts: number;
  step: number | null;
  error: unknown;
}

/** The job as its table holds it; undefined while PostgreSQL cannot be reached. */
export async function readJob(stack: Stack, id: string): Promise<JobRow | undefined> {
  const { rows } = await stack.db
    .query<JobRow>(`SELECT status, attempts, (progress->>'step')::int AS step, error FROM jobs WHERE id = $1`, [id])
    .catch(() => ({ rows: [] as JobRow[] }));
  return rows[0];
}

export async function newestCheckpointStep(stack: Stack, jobId: string): Promise<number> {
  const { rows } = await stack.db.query<{ step: number | null }>('SELECT max(step) AS step FROM checkpoints WHERE job_id = $1', [jobId]);
  return rows[0]?.step ?? 0;
}

export async function finalCheckpointBytes(stack: Stack, jobId: string): Promise<Buffer> {
  const { rows } = await stack.db.query<{ s3_key: string }>('SELECT s3_key FROM checkpoints WHERE job_id = $1 AND is_final', [jobId]);
  if (rows.length !== 1) throw new Error(`job ${jobId} has ${rows.length} final checkpoints`);
  return stack.blobs.get(rows[0]!.s3_key);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFinished(stack: Stack, jobId: string, timeoutMs: number): Promise<JobRow> {
  return waitFor(`job ${jobId} to finish`, async () => {
    const job = await readJob(stack, jobId);
    return job && ['succeeded', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
  }, timeoutMs, 250);
}
