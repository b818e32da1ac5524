// pg-boss throughput on one PostgreSQL, with the service's own queue settings (src/queue/boss.ts):
// send, then fetch + complete, in jobs per second; then fetches of the empty queue per second, which is
// what every idle worker does once a second per queue. A scratch database on the local PostgreSQL
// (TEST_DATABASE_ADMIN_URL, as the tests use), dropped afterwards. Prints ONE JSON line.
//   node --import tsx bench/pgboss.ts [--jobs 5000] [--concurrency 8] [--fetch-batch 1] [--rounds 3]
// --fetch-batch 1 is what a worker does (one job per claim); larger batches show the queue's ceiling.
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { QUEUES, startQueue } from '../src/queue/boss.ts';
import { createTestDatabase } from '../test/helpers/harness.ts';
import { median } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '8' },
    'fetch-batch': { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
  },
});
const positive = (name: keyof typeof args) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${args[name]}`);
  return n;
};
const JOBS = positive('jobs');
const CONCURRENCY = positive('concurrency');
const FETCH_BATCH = positive('fetch-batch');
const ROUNDS = positive('rounds');
const queue = QUEUES.train;

/** Jobs per second of `n` jobs handled by CONCURRENCY loops of `loop`. */
async function rate(n: number, loop: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return n / ((performance.now() - started) / 1000);
}

async function round(boss: PgBoss, n: number) {
  let sent = 0;
  const send = await rate(n, async () => {
    while (sent < n) await boss.send(queue, { id: `job_${sent++}` });
  });
  let completed = 0;
  const giveUpAt = Date.now() + 600_000;
  const fetchComplete = await rate(n, async () => {
    while (completed < n) {
      if (Date.now() > giveUpAt) throw new Error(`${n - completed} jobs were never fetched`);
      const jobs = await boss.fetch(queue, { batchSize: FETCH_BATCH });
      if (!jobs.length) continue; // the last jobs are in other loops' hands
      await boss.complete(queue, jobs.map((j) => j.id));
      completed += jobs.length;
    }
  });
  let polled = 0;
  const emptyFetch = await rate(n, async () => {
    while (polled++ < n) if ((await boss.fetch(queue)).length) throw new Error('the queue should be empty');
  });
  return { send, fetchComplete, emptyFetch };
}

const database = await createTestDatabase();
const boss = await startQueue(database.url);
try {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
  await client.end();
  await round(boss, Math.min(JOBS, 200)); // warm-up: plans, connections
  const load = [os.loadavg()[0]];
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    rounds.push(await round(boss, JOBS));
    load.push(os.loadavg()[0]);
  }
  const round1 = (x: number) => Math.round(x);
  console.log(
    JSON.stringify({
      bench: 'pgboss',
      queue,
      jobs: JOBS,
      concurrency: CONCURRENCY,
      fetchBatch: FETCH_BATCH,
      rounds: ROUNDS,
      sendJobsPerSecond: round1(median(rounds.map((r) => r.send))),
      fetchCompleteJobsPerSecond: round1(median(rounds.map((r) => r.fetchComplete))),
      emptyFetchesPerSecond: round1(median(rounds.map((r) => r.emptyFetch))),
      perRound: rounds.map((r) => ({ send: round1(r.send), fetchComplete: round1(r.fetchComplete), emptyFetch: round1(r.emptyFetch) })),
      postgres: rows[0].server_version,
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadAverage1m: load.map((l) => Number(l.toFixed(1))) },
    }),
  );
} finally {
  await boss.stop({ graceful: false });
  await database.drop();
}
