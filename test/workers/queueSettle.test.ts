// A queue message is settled with the row it carries, whatever happens to the connection: the worker's
// final write and the completion commit together, again once PostgreSQL answers after the connection
// was lost mid-completion; a message delivered again for a finished job is acknowledged without
// running it; the reconciliation pass completes messages whose row is final or gone. Real PostgreSQL
// and s3rver, an in-process worker. The outage is made on the test's own database: the completion is
// held by a one-shot trigger, every connection to the database is terminated and new ones are refused
// for a few seconds, as during a restart.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import pino from 'pino';
import { ADMIN_URL } from '../helpers/harness.ts';
import { TINY, workerEnv, type WorkerEnv } from '../helpers/trainedJob.ts';
import { waitFor } from '../helpers/waitFor.ts';
import { reconcileQueues } from '../../workers/reconcileQueues.ts';

// pg-boss reads the heartbeat when it creates the queues; 10 s is its minimum
process.env.QUEUE_HEARTBEAT_SECONDS = '10';

// shorter than a heartbeat: a claim that survives it must not be handed to anyone else
const OUTAGE_MS = 3000;

describe('queue messages settle with their rows', () => {
  let w: WorkerEnv;
  let admin: pg.Client;
  let database: string;
  let jobId: string;
  const warnings: Array<{ msg: string; attempt?: number }> = [];

  const messages = async (id: string) =>
    (
      await w.env.services.pool.query<{ id: string; state: string; retry_count: number; output: unknown }>(
        "SELECT id, state::text, retry_count, output FROM pgboss.job WHERE name = 'train' AND data->>'id' = $1 ORDER BY created_on",
        [id],
      )
    ).rows;
  const jobRow = (id: string) => w.env.services.db.job.findUniqueOrThrow({ where: { id } });
  const countOf = async (sql: string, id: string) => (await w.env.services.pool.query<{ n: number }>(sql, [id])).rows[0]!.n;

  before(async () => {
    w = await workerEnv(pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) }));
    database = new URL(w.env.databaseUrl).pathname.slice(1);
    admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
  });
  after(async () => {
    await admin?.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`).catch(() => {});
    await admin?.end();
    await w?.close();
  });

  it('connections lost while a job completes: the message ends completed by the claim that ran it, the job ran once', async () => {
    const { pool } = w.env.services;
    const { rows } = await pool.query<{ table_name: string }>("SELECT table_name FROM pgboss.queue WHERE name = 'train'");
    await pool.query(`CREATE SEQUENCE completion_holds;
      CREATE FUNCTION hold_completion() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF nextval('completion_holds') = 1 THEN PERFORM pg_sleep(60); END IF; RETURN NEW; END $$;
      CREATE TRIGGER hold_completion BEFORE UPDATE ON pgboss.${rows[0]!.table_name} FOR EACH ROW
        WHEN (NEW.name = 'train' AND OLD.state = 'active' AND NEW.state = 'completed') EXECUTE FUNCTION hold_completion()`);

    jobId = (await w.api().post('/v1/jobs').set(w.env.auth).send({ datasetId: w.datasetId, config: TINY }).expect(202)).body.id;
    await waitFor('the completion held', async () => {
      const held = await admin.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event = 'PgSleep'", [database]);
      return held.rowCount ? true : undefined;
    }, 300_000, 50);
    // the final write waits in the completion's transaction: the two are never seen apart
    assert.equal((await jobRow(jobId)).status, 'running');
    assert.deepEqual((await messages(jobId)).map((m) => m.state), ['active']);

    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);

    const done = await w.settle(`/v1/jobs/${jobId}`, 120_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.attempts, 1, 'one training attempt');
    const [message, ...others] = await messages(jobId);
    assert.equal(others.length, 0, 'no other message for the job');
    assert.equal(message!.state, 'completed', 'completed together with the job row');
    assert.equal(message!.retry_count, 0, 'by the claim that ran the job, not a redelivery');
    const holds = await pool.query<{ last_value: string }>('SELECT last_value FROM completion_holds');
    assert.ok(Number(holds.rows[0]!.last_value) >= 2, 'the completion ran again after the connections were lost');
    assert.equal(await countOf('SELECT count(*)::int AS n FROM checkpoints WHERE job_id = $1 AND is_final', jobId), 1);
    assert.equal(await countOf('SELECT (count(*) - count(DISTINCT step))::int AS n FROM metric_points WHERE job_id = $1', jobId), 0);
    assert.ok(warnings.some((l) => l.msg.startsWith('settling a claim') && l.attempt === 1), `the retry is logged: ${JSON.stringify(warnings)}`);
  });

  it('a message delivered again for a finished job is acknowledged without running it', async () => {
    const checkpoints = () => countOf('SELECT count(*)::int AS n FROM checkpoints WHERE job_id = $1', jobId);
    const earlier = { job: await jobRow(jobId), checkpoints: await checkpoints() };
    const again = await w.env.services.boss.send('train', { id: jobId });
    await waitFor('the redelivery settled', async () => ((await messages(jobId)).find((m) => m.id === again)?.state === 'completed' ? true : undefined));
    const later = await jobRow(jobId);
    assert.equal(later.attempts, earlier.job.attempts);
    assert.deepEqual(later.finishedAt, earlier.job.finishedAt);
    assert.deepEqual(later.updatedAt, earlier.job.updatedAt, 'the row was not written');
    assert.equal(await checkpoints(), earlier.checkpoints);
  });

  it('reconciliation completes messages whose row is final or gone, and leaves the others', async () => {
    await w.worker.stop();
    const { boss } = w.env.services;
    // an active message of a finished job, as a completion lost with its connection leaves it
    const stray = await boss.send('train', { id: jobId });
    const [claimed] = await boss.fetch('train');
    assert.equal(claimed?.id, stray);
    const orphan = await boss.send('train', { id: 'job_gone' });
    const queued = (await w.api().post('/v1/jobs').set(w.env.auth).send({ datasetId: w.datasetId, config: TINY }).expect(202)).body.id;

    assert.equal(await reconcileQueues(w.env.services), 2);
    const state = async (id: string) => (await w.env.services.pool.query<{ state: string }>('SELECT state::text FROM pgboss.job WHERE id = $1', [id])).rows[0]!.state;
    assert.equal(await state(stray!), 'completed');
    assert.equal(await state(orphan!), 'completed');
    assert.deepEqual((await messages(queued)).map((m) => m.state), ['created'], 'a queued job keeps its message');
    assert.equal(await reconcileQueues(w.env.services), 0, 'a second pass finds nothing');
  });
});
