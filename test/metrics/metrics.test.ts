// GET /metrics scraped like Prometheus would: series move after requests, after a tiny training job
// run by a real worker, and after failed PostgreSQL and S3 calls; request ids are echoed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { seedLabeledDataset } from '../helpers/images.ts';
import { waitFor } from '../helpers/waitFor.ts';
import { startWorker, type WorkerHandle } from '../../workers/worker.ts';
import { startMetricsServer } from '../../src/metrics/server.ts';
import { buildApp } from '../../src/app.ts';

type Samples = Map<string, number>;

/** `name{a="x",b="y"}` → value, labels in the order prom-client writes them (sorted here). */
function parse(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}="${v}"`).sort();
    samples.set(`${m[1]}{${labels.join(',')}}`, Number(m[3]));
  }
  return samples;
}

const key = (name: string, labels: Record<string, string> = {}) =>
  `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',')}}`;

describe('/metrics', () => {
  let env: TestEnv;
  let worker: WorkerHandle | undefined;
  let datasetId: string;
  const api = () => request(env.app.server);
  const scrape = async () => {
    const res = await api().get('/metrics').expect(200);
    assert.match(res.headers['content-type'], /^text\/plain/);
    return parse(res.text);
  };
  const value = (s: Samples, name: string, labels?: Record<string, string>) => s.get(key(name, labels)) ?? 0;

  before(async () => {
    env = await createTestEnv();
    datasetId = await seedLabeledDataset(env.services, env.tenantId, 4, 16);
  });
  after(async () => {
    await worker?.stop();
    await env.close();
  });

  it('echoes a well-formed x-request-id and makes one up otherwise', async () => {
    const kept = await api().get('/healthz').set('x-request-id', 'edge-42:abc').expect(200);
    assert.equal(kept.headers['x-request-id'], 'edge-42:abc');
    const made = await api().get('/healthz').expect(200);
    assert.match(made.headers['x-request-id'], /^[0-9a-f-]{36}$/);
    const refused = await api().get('/healthz').set('x-request-id', 'two words\tand a tab').expect(200);
    assert.match(refused.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  });

  it('logs one line per request, when it completes, with its id; probes stay out of the info log', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = { write: (line: string) => void lines.push(JSON.parse(line)) };
    const logged = await buildApp(env.services, { logger: { level: 'info', stream } });
    await logged.ready();
    try {
      await request(logged.server).get('/v1/jobs/job_nope3').set(env.auth).set('x-request-id', 'edge-43').expect(404);
      await request(logged.server).get('/healthz').expect(200);
      const requestLines = lines.filter((l) => l.req !== undefined || l.res !== undefined);
      assert.equal(requestLines.length, 1, JSON.stringify(lines));
      const [line] = requestLines;
      assert.equal(line.reqId, 'edge-43');
      assert.equal((line.req as { url: string }).url, '/v1/jobs/job_nope3');
      assert.equal((line.res as { statusCode: number }).statusCode, 404);
      assert.ok(typeof line.responseTime === 'number' && line.responseTime >= 0);
    } finally {
      await logged.close();
    }
  });

  it('counts HTTP requests by route pattern, not raw URL', async () => {
    const labels = { method: 'GET', route: '/v1/jobs/:id', status_code: '404' };
    const before = value(await scrape(), 'simsiam_http_request_duration_seconds_count', labels);
    await api().get('/v1/jobs/job_nope1').set(env.auth).expect(404);
    await api().get('/v1/jobs/job_nope2').set(env.auth).expect(404);
    const text = (await api().get('/metrics').expect(200)).text;
    assert.equal(value(parse(text), 'simsiam_http_request_duration_seconds_count', labels), before + 2);
    assert.ok(!text.includes('job_nope1'), 'raw ids never become labels');
    assert.ok(value(parse(text), 'simsiam_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' }) >= 2);
    await api().get('/no/such/page').expect(404);
    assert.ok(value(await scrape(), 'simsiam_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status_code: '404' }) >= 1);
  });

  it('counts failed PostgreSQL statements and S3 calls', async () => {
    const before = await scrape();
    await assert.rejects(env.services.pool.query('SELECT * FROM no_such_table'));
    await env.services.blobs.put('probe/small', 'abc');
    await assert.rejects(env.services.blobs.getRange('probe/small', 100));
    const after = await scrape();
    const pg = { source: 'pool', code: '42P01' };
    assert.equal(value(after, 'simsiam_postgres_errors_total', pg), value(before, 'simsiam_postgres_errors_total', pg) + 1);
    const s3Errors = (s: Samples) => [...s].filter(([k]) => k.startsWith('simsiam_s3_errors_total{') && k.includes('operation="GetObjectCommand"')).reduce((sum, [, v]) => sum + v, 0);
    assert.equal(s3Errors(after), s3Errors(before) + 1);
    assert.equal(value(after, 'simsiam_metrics_database_up'), 1);
  });

  it('shows queued jobs, queue depth and age, then a trained job: steps, images, checkpoints, heartbeats', async () => {
    const job = (await api().post('/v1/jobs').set(env.auth).send({ datasetId, config: { backbone: 'resnet-tiny', imageSize: 16, channels: 1, batchSize: 16, projectorDim: 64, epochs: 1 } }).expect(202)).body;
    const queued = await scrape();
    assert.equal(value(queued, 'simsiam_jobs', { status: 'queued' }), 1);
    assert.equal(value(queued, 'simsiam_jobs', { status: 'succeeded' }), 0);
    assert.equal(value(queued, 'simsiam_queue_depth', { queue: 'train', state: 'waiting' }), 1);
    assert.ok(value(queued, 'simsiam_queue_oldest_waiting_seconds', { queue: 'train' }) > 0);
    const stepsBefore = value(queued, 'simsiam_training_steps_total');
    const imagesBefore = value(queued, 'simsiam_training_images_total');

    worker = await startWorker(env.services, pino({ level: 'silent' }), { backend: 'wasm', reportIntervalMs: 200 });
    await waitFor('job to succeed', async () => {
      const j = (await api().get(`/v1/jobs/${job.id}`).set(env.auth).expect(200)).body;
      assert.ok(!['failed', 'cancelled'].includes(j.status), JSON.stringify(j.error));
      return j.status === 'succeeded' ? j : undefined;
    });
    const trained = await scrape();
    // 64 images, batch 16: 4 steps of 16 images
    assert.equal(value(trained, 'simsiam_training_steps_total') - stepsBefore, 4);
    assert.equal(value(trained, 'simsiam_training_images_total') - imagesBefore, 64);
    assert.ok(value(trained, 'simsiam_training_step_seconds_count') >= 4);
    assert.ok(value(trained, 'simsiam_training_images_per_second') > 0);
    const waitFraction = value(trained, 'simsiam_training_data_wait_fraction');
    assert.ok(waitFraction >= 0 && waitFraction <= 1);
    assert.ok(value(trained, 'simsiam_checkpoint_write_seconds_count') >= 1, 'the final checkpoint was timed');
    assert.equal(value(trained, 'simsiam_jobs', { status: 'succeeded' }), 1);
    assert.equal(value(trained, 'simsiam_jobs', { status: 'queued' }), 0);
    assert.equal(value(trained, 'simsiam_queue_depth', { queue: 'train', state: 'waiting' }), 0);
    const beat = value(trained, 'simsiam_worker_heartbeat_timestamp_seconds', { worker: worker.id });
    assert.ok(Math.abs(beat - Date.now() / 1000) < 30, `heartbeat ${beat} is recent`);
  });

  it("serves a worker's metrics on its own listener", async () => {
    const server = await startMetricsServer(0, '127.0.0.1');
    try {
      const res = await request(`http://127.0.0.1:${server.port}`).get('/metrics').expect(200);
      const samples = parse(res.text);
      assert.ok(value(samples, 'simsiam_training_steps_total') >= 4);
      assert.ok(samples.has(key('process_cpu_user_seconds_total')), "Node's default metrics are included");
      const missing = await request(`http://127.0.0.1:${server.port}`).get('/other').expect(404);
      assert.equal(missing.body.error.code, 'NOT_FOUND');
    } finally {
      await server.close();
    }
  });
});
