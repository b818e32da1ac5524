// Archive ingest throughput and memory: all 70 000 Fashion-MNIST images as PNG in ImageFolder layout
// (`<split>/<class>/<split>-<n>.png`, tar.gz cached under bench/out/), streamed from disk over real HTTP to
// POST /v1/datasets/:id/archive. Prints one JSON line.
//
//   node --import tsx bench/ingest.ts                  in-process API on the local PostgreSQL + s3rver
//   BENCH_IMAGES=10000 node --import tsx bench/ingest.ts   only the first n training images
//   BENCH_URL=http://host:8080 BENCH_API_KEY=... node --import tsx bench/ingest.ts   against a server
//
// In-process, the same PNGs are then PUT straight to the same S3 server, one object each, BENCH_PUT_CONCURRENCY
// (default 16) at a time: rawPutImagesPerSecond is what the S3 server alone allows for one-object-per-image,
// and ingestToRawPut puts ingest against it. BENCH_RAW_PUT_IMAGES (default all) PUTs only the first n.
// BENCH_PROFILE=FILE.cpuprofile records the API process's CPU profile during the upload alone
// (summarise it with bench/cpu-profile-top.ts).
//
// The archive is built in a child process so the builder's memory never shows in the API's peak RSS.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { writeArchive } from './fashion-mnist/archive.ts';
import { postFile, requestJson } from './fashion-mnist/http.ts';
import { FASHION_MNIST_DIR, readSplit } from './fashion-mnist/idx.ts';
import { startInProcessService, type InProcessService } from './inProcessService.ts';
import type { BlobStore } from '../src/storage/s3.ts';

const OUT = fileURLToPath(new URL('./out/', import.meta.url));
const LIMIT = process.env.BENCH_IMAGES ? Number(process.env.BENCH_IMAGES) : undefined;
if (LIMIT !== undefined && !(Number.isInteger(LIMIT) && LIMIT > 0 && LIMIT <= 60_000)) {
  throw new Error(`BENCH_IMAGES must be an integer in 1..60000, got ${process.env.BENCH_IMAGES}`);
}
const ARCHIVE = process.env.BENCH_ARCHIVE ?? path.join(OUT, LIMIT ? `fashion-mnist-png-train${LIMIT}.tar.gz` : 'fashion-mnist-png.tar.gz');
const PUT_CONCURRENCY = Number(process.env.BENCH_PUT_CONCURRENCY ?? 16);
const RAW_PUT_IMAGES = Number(process.env.BENCH_RAW_PUT_IMAGES ?? Number.POSITIVE_INFINITY);

async function buildArchive() {
  if (LIMIT) {
    await writeArchive(ARCHIVE, [{ split: readSplit('train'), prefix: 'train/', indices: Array.from({ length: LIMIT }, (_, i) => i) }]);
    return;
  }
  await writeArchive(ARCHIVE, [
    { split: readSplit('train'), prefix: 'train/' },
    { split: readSplit('t10k'), prefix: 'test/' },
  ]);
}

/** Every file of the archive, read in the bench (after the ingest, so not in its RSS figures). */
async function archiveFiles(): Promise<Buffer[]> {
  const extract = tar.extract();
  const done = pipeline(fs.createReadStream(ARCHIVE), createGunzip(), extract);
  const files: Buffer[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    if (entry.header.type === 'file') files.push(Buffer.concat(chunks));
  }
  await done;
  return files;
}

/** The same bytes PUT one object per image under a prefix of their own, PUT_CONCURRENCY at a time. */
async function rawPutSeconds(blobs: BlobStore, files: Buffer[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) await blobs.put(`bench-raw-put/${i}.png`, files[i]!, 'image/png');
  };
  await Promise.all(Array.from({ length: PUT_CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  await blobs.deletePrefix('bench-raw-put/');
  return seconds;
}

function ensureArchive() {
  if (fs.existsSync(ARCHIVE)) return;
  if (!fs.existsSync(FASHION_MNIST_DIR)) throw new Error(`${FASHION_MNIST_DIR} missing: apt-get install -y dataset-fashion-mnist`);
  const built = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'build'], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('building the archive failed');
}



const vmHwmMB = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;


async function main() {
  ensureArchive();
  const inProcess: InProcessService | undefined = process.env.BENCH_URL ? undefined : await startInProcessService();
  const target = inProcess ?? { url: process.env.BENCH_URL!, apiKey: process.env.BENCH_API_KEY ?? '', close: async () => {} };
  try {
    const dataset = await requestJson(`${target.url}/v1/datasets`, target.apiKey, 'POST', { name: 'fashion-mnist-bench' });
    const bytes = fs.statSync(ARCHIVE).size;
    let peakRss = 0;
    const started = performance.now();
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    // RSS over time on stderr: flat is the point
    const trace = setInterval(() => {
      const t = Math.round((performance.now() - started) / 1000);
      const m = process.memoryUsage();
      const mb = (x: number) => Math.round(x / 2 ** 20);
      process.stderr.write(`t=${t}s rss=${mb(m.rss)}MB heapUsed=${mb(m.heapUsed)}MB external=${mb(m.external)}MB\n`);
    }, Number(process.env.BENCH_TRACE_MS ?? 30_000));
    const rssBeforeMB = process.memoryUsage().rss / 2 ** 20;
    const profiler = process.env.BENCH_PROFILE ? new Session() : undefined;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const res = await postFile(`${target.url}/v1/datasets/${dataset.id}/archive`, target.apiKey, ARCHIVE);
    const seconds = (performance.now() - started) / 1000;
    if (profiler) fs.writeFileSync(process.env.BENCH_PROFILE!, JSON.stringify((await profiler.post('Profiler.stop')).profile));
    clearInterval(sampler);
    clearInterval(trace);
    if (res.status >= 300) throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
    const images = res.body.added as number;
    const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
    let rawPut = {};
    if (inProcess) {
      const files = (await archiveFiles()).slice(0, RAW_PUT_IMAGES);
      const putSeconds = await rawPutSeconds(inProcess.services.blobs, files);
      const rawPerSecond = files.length / putSeconds;
      rawPut = { rawPutImagesPerSecond: round(rawPerSecond), rawPutImages: files.length, rawPutConcurrency: PUT_CONCURRENCY, ingestToRawPut: round(images / seconds / rawPerSecond, 2) };
    }
    console.log(
      JSON.stringify({
        images,
        duplicates: res.body.duplicates,
        skipped: res.body.skippedCount,
        bytes,
        seconds: round(seconds, 2),
        mbPerSecond: round(bytes / 2 ** 20 / seconds, 2),
        imagesPerSecond: round(images / seconds),
        ...rawPut,
        // in-process only: the API's RSS sampled during the upload, and its lifetime high-water mark
        ...(process.env.BENCH_URL ? {} : { peakRssMB: round(peakRss / 2 ** 20), rssBeforeMB: round(rssBeforeMB), vmHwmMB: round(vmHwmMB()) }),
      }),
    );
  } finally {
    await target.close();
  }
}

if (process.argv[2] === 'build') await buildArchive();
else await main();
