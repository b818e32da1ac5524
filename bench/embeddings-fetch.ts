// Fetching an embedding set as .npy through the API vs a raw S3 GET of the same object: a synthetic
// 70 000 x D float32 set (D = BENCH_DIM, default 512, ResNet-18's feature size) is written straight to
// S3 + PostgreSQL, then each path downloads it BENCH_RUNS times (alternating) from a child process.
// The API runs in this process (local PostgreSQL + s3rver child) and samples its own RSS meanwhile.
// Prints one JSON line.
//
//   node --import tsx bench/embeddings-fetch.ts
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

const ROWS = Number(process.env.BENCH_ROWS ?? 70_000);
const DIM = Number(process.env.BENCH_DIM ?? 512);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const vmHwm = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;

interface FetchResult {
  bytes: number;
  seconds: number;
  /** the downloading child's own high-water mark */
  clientPeakRss: number;
}

/** Child: download one URL or S3 object, discard the bytes, report time and own peak RSS. */
async function fetchChild(mode: string, target: string) {
  const started = performance.now();
  let bytes = 0;
  if (mode === 'api') {
    const { url, apiKey } = JSON.parse(target);
    const res = await fetch(url, { headers: { Authorization: `Bearer ${apiKey}` } });
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  } else {
    const { s3, key } = JSON.parse(target);
    const client = new S3Client({
      endpoint: s3.endpoint, region: s3.region, forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const res = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    for await (const chunk of res.Body as Readable) bytes += (chunk as Buffer).length;
  }
  const result: FetchResult = { bytes, seconds: (performance.now() - started) / 1000, clientPeakRss: vmHwm() };
  process.stdout.write(JSON.stringify(result));
}

function runChild(mode: 'api' | 's3', target: object): Promise<FetchResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'fetch', mode, JSON.stringify(target)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`fetch ${mode} exited ${code}`))));
  });
}

/** 70 000 x DIM float32 rows, generated a chunk at a time. */
function* syntheticVectors(): Generator<Float32Array> {
  let seed = 1;
  for (let start = 0; start < ROWS; start += 1000) {
    const chunk = new Float32Array(Math.min(1000, ROWS - start) * DIM);
    for (let i = 0; i < chunk.length; i++) chunk[i] = ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    yield chunk;
  }
}

async function main() {
  const { startInProcessService } = await import('./inProcessService.ts');
  const { seedEmbeddingSet } = await import('./syntheticEmbeddingSet.ts');

  const service = await startInProcessService();
  try {
    const { apiKey, tenantId, services } = service;
    const { blobs } = services;
    const { setId, vectorsKey } = await seedEmbeddingSet(services, tenantId, {
      rows: ROWS,
      dim: DIM,
      vectors: syntheticVectors(),
      row: (i) => ({ imageId: `img_${String(i).padStart(16, '0')}`, label: `class-${i % 10}` }),
    });
    const objectBytes = (await blobs.head(vectorsKey))!.size;

    const apiTarget = { url: `${service.url}/v1/embeddings/${setId}/vectors?format=npy`, apiKey };
    // the same request with redirect=true: a 307 to a presigned URL, which fetch follows (without the
    // API key: the bucket is another origin)
    const redirectTarget = { ...apiTarget, url: `${apiTarget.url}&redirect=true` };
    const s3Target = { s3: service.s3, key: vectorsKey };
    global.gc?.();
    const apiRssIdle = process.memoryUsage().rss;
    let apiRssPeak = apiRssIdle;
    const sampler = setInterval(() => (apiRssPeak = Math.max(apiRssPeak, process.memoryUsage().rss)), 10);
    const api: FetchResult[] = [];
    const raw: FetchResult[] = [];
    const redirected: FetchResult[] = [];
    for (let run = 0; run < RUNS; run++) {
      raw.push(await runChild('s3', s3Target));
      api.push(await runChild('api', apiTarget));
      redirected.push(await runChild('api', redirectTarget));
    }
    clearInterval(sampler);
    for (const r of [...api, ...raw, ...redirected]) if (r.bytes !== objectBytes) throw new Error(`short download: ${r.bytes} of ${objectBytes}`);

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const apiSeconds = median(api.map((r) => r.seconds));
    const rawSeconds = median(raw.map((r) => r.seconds));
    const redirectSeconds = median(redirected.map((r) => r.seconds));
    const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
    console.log(JSON.stringify({
      rows: ROWS,
      dim: DIM,
      objectMB: mb(objectBytes),
      runs: RUNS,
      apiSeconds: round(apiSeconds),
      rawS3Seconds: round(rawSeconds),
      timeRatio: round(apiSeconds / rawSeconds, 2),
      apiMBps: round(objectBytes / 2 ** 20 / apiSeconds, 1),
      rawS3MBps: round(objectBytes / 2 ** 20 / rawSeconds, 1),
      redirectSeconds: round(redirectSeconds),
      redirectTimeRatio: round(redirectSeconds / rawSeconds, 2),
      redirectMBps: round(objectBytes / 2 ** 20 / redirectSeconds, 1),
      // the API process (Fastify + Prisma + pg-boss): idle RSS before the downloads, the peak sampled every 10 ms during them
      apiRssIdleMB: mb(apiRssIdle),
      apiRssPeakMB: mb(apiRssPeak),
      apiRssGrowthMB: mb(apiRssPeak - apiRssIdle),
      // the downloading child processes' own high-water marks (a raw S3 GET vs an HTTP GET of the API)
      rawS3ClientPeakRssMB: mb(Math.max(...raw.map((r) => r.clientPeakRss))),
      apiClientPeakRssMB: mb(Math.max(...api.map((r) => r.clientPeakRss))),
      apiRunsSeconds: api.map((r) => round(r.seconds)),
      rawS3RunsSeconds: raw.map((r) => round(r.seconds)),
      redirectRunsSeconds: redirected.map((r) => round(r.seconds)),
    }));
  } finally {
    await service.close();
  }
}

if (process.argv[2] === 'fetch') await fetchChild(process.argv[3], process.argv[4]);
else await main();
