// The `simsiam` CLI end to end: every command runs as a child process (node bin/simsiam.mjs) against
// a real service on a port (PostgreSQL, s3rver, an in-process wasm worker), as a user would run it.
// Jobs are tiny (resnet-tiny, 16 px, one epoch of 32 images).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import net, { type AddressInfo } from 'node:net';
import pino from 'pino';
import request from 'supertest';
import tar from 'tar-stream';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { patternPng } from '../helpers/images.ts';
import { runCli, startCli, type CliResult } from '../helpers/cli.ts';
import { waitFor } from '../helpers/waitFor.ts';
import { parseNpyHeader } from '../../src/data/npy.ts';
import { startWorker, type WorkerHandle } from '../../workers/worker.ts';

const TINY_CONFIG = { imageSize: 16, channels: 1, batchSize: 16, projectorDim: 64 };

const json = (result: CliResult) => {
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout);
};

async function writeImageFolder(dir: string, classes: number, perClass: number) {
  for (let c = 0; c < classes; c++) {
    await fs.mkdir(path.join(dir, `class-${c}`), { recursive: true });
    for (let i = 0; i < perClass; i++) await fs.writeFile(path.join(dir, `class-${c}`, `${i}.png`), await patternPng(c, i));
  }
}

/** A .tar.gz of `classes` x `perClass` images, made with the service's own tar library. */
async function writeArchive(file: string, classes: number, perClass: number, indexOffset: number) {
  const pack = tar.pack();
  const done = pipeline(pack, createGzip(), createWriteStream(file));
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) pack.entry({ name: `class-${c}/${i}.png` }, await patternPng(c, i + indexOffset));
  }
  pack.finalize();
  await done;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('simsiam CLI against a real service', () => {
  let env: TestEnv;
  let worker: WorkerHandle;
  let url: string;
  let tmp: string;
  let configDir: string;
  let cli: (...args: string[]) => Promise<CliResult>;
  let trainSet: string;
  let testSet: string;
  let jobId: string;

  before(async () => {
    env = await createTestEnv();
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
    worker = await startWorker(env.services, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { backend: 'wasm', reportIntervalMs: 500 });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-cli-'));
    configDir = path.join(tmp, 'config');
    cli = (...args) => runCli(configDir, args);
  });
  after(async () => {
    await worker?.stop();
    await env?.close();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('login checks the key, stores it in a 0600 profile, and the environment overrides it', async () => {
    const login = json(await cli('--json', 'login', '--url', url, '--key', env.apiKey));
    assert.equal(login.profile, 'default');
    const file = path.join(configDir, 'profiles.json');
    assert.equal(login.file, file);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')).profiles.default, { url, key: env.apiKey });

    const refused = await cli('login', '--profile', 'other', '--url', url, '--key', 'not-a-key');
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /INVALID_API_KEY/);
    assert.equal(JSON.parse(await fs.readFile(file, 'utf8')).profiles.other, undefined, 'a refused key is not stored');

    // a second profile, picked by --profile, holding tenant B
    json(await cli('--json', 'login', '--profile', 'b', '--url', url, '--key', env.otherApiKey));
    assert.deepEqual(json(await cli('--json', '--profile', 'b', 'datasets', 'ls')).items, []);

    const badKey = await runCli(configDir, ['jobs', 'ls'], { SIMSIAM_API_KEY: 'wrong' });
    assert.equal(badKey.code, 3, 'SIMSIAM_API_KEY overrides the stored key');
    const nobody = await runCli(path.join(tmp, 'empty-config'), ['jobs', 'ls']);
    assert.equal(nobody.code, 3);
    assert.match(nobody.stderr, /NOT_LOGGED_IN/);
    const unreachable = await runCli(configDir, ['jobs', 'ls'], { SIMSIAM_URL: `http://127.0.0.1:${await closedPort()}` });
    assert.equal(unreachable.code, 5, unreachable.stderr);
    assert.match(unreachable.stderr, /NETWORK_ERROR/);
  });

  it('uploads an ImageFolder directory as a streamed tar and prints the summary', async () => {
    const dir = path.join(tmp, 'train');
    await writeImageFolder(dir, 4, 8);
    await fs.writeFile(path.join(dir, 'notes.txt'), 'not an image');
    await fs.writeFile(path.join(dir, '.DS_Store'), 'hidden: never sent');
    trainSet = json(await cli('--json', 'datasets', 'create', 'train-set')).id;

    const first = await cli('--json', 'datasets', 'upload', trainSet, dir);
    assert.deepEqual(json(first), { added: 32, duplicates: 0, skipped: [{ name: 'notes.txt', reason: 'NOT_AN_IMAGE' }], skippedCount: 1 });
    assert.equal(first.stderr, '', 'no bar and no notes with --json');

    const again = await cli('datasets', 'upload', trainSet, dir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'added 0, duplicates 32, skipped 1\n  skipped notes.txt: NOT_AN_IMAGE\n');
    assert.doesNotMatch(again.stderr, /uploading|\r/, 'no progress bar when stderr is not a terminal');

    const shown = json(await cli('--json', 'datasets', 'show', trainSet));
    assert.equal(shown.imageCount, 32);
    assert.deepEqual(shown.labels, { 'class-0': 8, 'class-1': 8, 'class-2': 8, 'class-3': 8 });
  });

  it('uploads an existing .tar.gz', async () => {
    const archive = path.join(tmp, 'test.tar.gz');
    await writeArchive(archive, 4, 4, 100);
    testSet = (await cli('datasets', 'create', 'test-set')).stdout.trim();
    assert.match(testSet, /^ds_/, 'human `datasets create` prints the id alone');
    assert.deepEqual(json(await cli('--json', 'datasets', 'upload', testSet, archive)), { added: 16, duplicates: 0, skipped: [], skippedCount: 0 });
    const listed = json(await cli('--json', 'datasets', 'ls'));
    assert.deepEqual(new Set(listed.items.map((d: { id: string }) => d.id)), new Set([trainSet, testSet]));
  });

  it('trains and watches a job to success', async () => {
    const configFile = path.join(tmp, 'tiny.json');
    await fs.writeFile(configFile, JSON.stringify(TINY_CONFIG));
    const job = json(await cli('--json', 'train', '--dataset', trainSet, '--backbone', 'resnet-tiny', '--epochs', '1', '--config', configFile));
    assert.equal(job.status, 'queued');
    assert.equal(job.config.backbone, 'resnet-tiny');
    assert.equal(job.config.epochs, 1);
    assert.equal(job.config.imageSize, 16, 'the file config is sent');
    assert.equal(job.config.method, 'simsiam', 'the service echoes the defaults it filled');
    jobId = job.id;

    const watched = await cli('--json', 'watch', jobId);
    const done = json(watched);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.progress.step, done.progress.totalSteps);

    const human = await cli('watch', jobId);
    assert.equal(human.code, 0);
    assert.match(human.stdout, new RegExp(`^${jobId} succeeded in \\d+s: epoch 1\\.0/1, step 2/2, loss -?\\d`));
  });

  it('lists and shows jobs', async () => {
    const page = json(await cli('--json', 'jobs', 'ls', '--status', 'succeeded'));
    assert.deepEqual(page.items.map((j: { id: string }) => j.id), [jobId]);
    const table = await cli('jobs', 'ls');
    assert.match(table.stdout, /^ID\s+STATUS\s+METHOD\/BACKBONE\s+PROGRESS\s+CREATED\n/);
    assert.match(table.stdout, new RegExp(`${jobId}\\s+succeeded\\s+simsiam/resnet-tiny`));
    assert.equal(json(await cli('--json', 'jobs', 'show', jobId)).id, jobId);
  });

  it('downloads embeddings as a .npy of [images, features]', async () => {
    const out = path.join(tmp, 'train.npy');
    const result = json(await cli('--json', 'embeddings', jobId, '--dataset', trainSet, '--out', out));
    assert.equal(result.status, 'succeeded');
    assert.equal(result.out, out);
    const bytes = await fs.readFile(out);
    assert.equal(result.bytes, bytes.length);
    const header = parseNpyHeader(bytes);
    assert.equal(header.descr, '<f4');
    assert.deepEqual(header.shape, [32, result.dim]);
    assert.equal(bytes.length, header.dataOffset + 32 * result.dim * 4);
    await assert.rejects(fs.stat(`${out}.part`), 'no partial file is left');
  });

  it('probes the features against the baselines and prints the table', async () => {
    const result = await cli('probe', jobId, '--train', trainSet, '--test', testSet);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.match(lines[0]!, new RegExp(`on ${trainSet} -> ${testSet}: 32 train / 16 test images, 4 classes`));
    assert.match(lines[1]!, /^FEATURES\s+TOP-1\s+TOP-5\s+KNN TOP-1$/);
    assert.match(lines[2]!, new RegExp(`^trained \\(${jobId}\\)\\s+\\d\\.\\d{3}\\s+1\\.000\\s+\\d\\.\\d{3}$`));
    assert.deepEqual(lines.slice(3).map((l) => l.split(/\s+/)[0]).sort(), ['random-init', 'raw-pixels']);
  });

  it('exports the backbone as safetensors and onnx', async () => {
    const st = path.join(tmp, 'backbone.safetensors');
    const exported = json(await cli('--json', 'export', jobId, '--format', 'safetensors', '--out', st));
    assert.deepEqual(exported.files, [{ path: st, bytes: (await fs.stat(st)).size }]);
    const bytes = await fs.readFile(st);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    assert.equal(header.__metadata__.backbone, 'resnet-tiny');
    assert.ok(Object.keys(header).some((k) => k.endsWith('.weight')));

    const onnx = path.join(tmp, 'backbone.onnx');
    const human = await cli('export', jobId, '--format', 'onnx', '--out', onnx);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^wrote .*backbone\.onnx \(onnx, [\d.]+ kB\)\n$/);
    assert.ok((await fs.stat(onnx)).size > 1000);
  });

  it('exit codes say what failed', async () => {
    const unknown = await cli('watch', 'job_unknown');
    assert.equal(unknown.code, 4);
    assert.equal(unknown.stderr, 'error JOB_NOT_FOUND: job job_unknown not found\n');
    const unknownJson = await cli('--json', 'jobs', 'show', 'job_unknown');
    assert.equal(unknownJson.code, 4);
    assert.equal(unknownJson.stdout, '');
    assert.deepEqual(JSON.parse(unknownJson.stderr), { error: { code: 'JOB_NOT_FOUND', message: 'job job_unknown not found' }, exitCode: 4 });

    const upload404 = await cli('datasets', 'upload', 'ds_unknown', path.join(tmp, 'train'));
    assert.equal(upload404.code, 4);
    assert.match(upload404.stderr, /DATASET_NOT_FOUND/);
    const notArchive = path.join(tmp, 'notes.zip');
    await fs.writeFile(notArchive, 'PK not a tar');
    const refusedLocally = await cli('datasets', 'upload', trainSet, notArchive);
    assert.equal(refusedLocally.code, 2);
    assert.match(refusedLocally.stderr, /is not a \.tar or \.tar\.gz archive/);

    assert.equal((await cli('train')).code, 2, 'missing --dataset');
    assert.equal((await cli('export', jobId, '--format', 'pickle', '--out', 'x')).code, 2, 'unknown format');
    const noFile = await cli('train', '--dataset', trainSet, '--config', path.join(tmp, 'missing.json'));
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /cannot read --config/);
    const refused = await cli('train', '--dataset', trainSet, '--backbone', 'no-such-net');
    assert.equal(refused.code, 6, refused.stderr);
    assert.match(refused.stderr, /backbone/);
  });

  it('Ctrl-C stops watching and leaves the job running; cancel stops it', async () => {
    const long = json(await cli('--json', 'train', '--dataset', trainSet, '--backbone', 'resnet-tiny', '--epochs', '500', '--config', path.join(tmp, 'tiny.json')));
    const watch = startCli(configDir, ['watch', long.id]);
    await waitFor('the watch to see the job running', async () => (watch.stderr().includes(`${long.id} running`) ? true : undefined), 60_000);
    watch.child.kill('SIGINT');
    const stopped = await watch.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stderr, /stopped watching; .* goes on/);

    await new Promise((resolve) => setTimeout(resolve, 1500));
    const job = (await request(env.app.server).get(`/v1/jobs/${long.id}`).set(env.auth).expect(200)).body;
    assert.equal(job.status, 'running');
    assert.equal(job.cancelRequestedAt, null, 'the watch did not cancel it');

    const cancel = json(await cli('--json', 'cancel', long.id));
    assert.equal(cancel.id, long.id);
    const ended = await cli('--json', 'watch', long.id);
    assert.equal(ended.code, 7, 'a cancelled job exits 7');
    assert.equal(JSON.parse(ended.stdout).status, 'cancelled');
  });
});
