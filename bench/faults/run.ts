// Fault scripts, run against the service in production mode (API and workers as separate processes,
// PostgreSQL, an S3 server), printing their figures as JSON.
//
//   node --import tsx bench/faults/run.ts [--scenario all|worker-kills|api-kill|s3-outage|pg-restart]
//     [--kills 20] [--pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres]
//     [--pg-restart "pg_ctl -D /tmp/faults-pg restart -m fast"] [--heartbeat 10] [--s3-outage-seconds 30]
//     [--backend cpu|wasm]
//
// pg-restart restarts the PostgreSQL server behind --pg-admin-url with the --pg-restart command: point
// both at a private cluster when others share the server (docs/faults.md says how to make one).
import os from 'node:os';
import { parseArgs } from 'node:util';
import { startStack, uploadDataset, type Stack } from './stack.ts';
import { workerKills } from './workerKills.ts';
import { apiKill } from './apiKill.ts';
import { s3Outage } from './s3Outage.ts';
import { pgRestart } from './pgRestart.ts';
import { FAULT_JOB, TINY_JOB } from './jobs.ts';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'all' },
    kills: { type: 'string', default: '20' },
    'pg-admin-url': { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432/postgres' },
    'pg-restart': { type: 'string' },
    heartbeat: { type: 'string', default: '10' },
    's3-outage-seconds': { type: 'string', default: '30' },
    backend: { type: 'string', default: 'cpu' },
  },
});
const SCENARIOS = ['worker-kills', 'api-kill', 's3-outage', 'pg-restart'] as const;
const chosen = values.scenario === 'all' ? SCENARIOS.filter((s) => s !== 'pg-restart' || values['pg-restart']) : [values.scenario];
for (const s of chosen) if (!(SCENARIOS as readonly string[]).includes(s!)) throw new Error(`unknown scenario ${s}; one of ${SCENARIOS.join(', ')}, all`);
if (chosen.includes('pg-restart') && !values['pg-restart']) throw new Error('--scenario pg-restart needs --pg-restart "<command that restarts PostgreSQL>"');

const heartbeatSeconds = Number(values.heartbeat);
const results: Record<string, unknown> = { heartbeatSeconds, backend: values.backend, loadAverageAtStart: os.loadavg()[0] };
let current: Stack | undefined;
// an interrupted run still stops its processes and drops its database
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void (current?.close() ?? Promise.resolve()).finally(() => process.exit(130)));
}
for (const scenario of chosen) {
  // each scenario on a stack of its own: a fault in one leaves nothing behind for the next
  const stack = await startStack({ pgAdminUrl: values['pg-admin-url']!, heartbeatSeconds, backend: values.backend as 'cpu' | 'wasm' });
  current = stack;
  const started = Date.now();
  try {
    await stack.startApi();
    const { id: datasetId, images } = await uploadDataset(stack, FAULT_JOB.classes, FAULT_JOB.perClass);
    switch (scenario) {
      case 'worker-kills': {
        const kills = Number(values.kills);
        // eight steps per kill: each attempt may lose up to a two-step checkpoint interval, and the job
        // must outlast every kill however fast the machine trains
        const config = { ...FAULT_JOB.config, epochs: Math.max(FAULT_JOB.config.epochs, 4 * kills) };
        results[scenario] = await workerKills(stack, { datasetId, images, config, kills });
        break;
      }
      case 'api-kill':
        results[scenario] = await apiKill(stack, { datasetId, config: TINY_JOB.config });
        break;
      case 's3-outage':
        results[scenario] = await s3Outage(stack, { datasetId, config: FAULT_JOB.config, outageSeconds: Number(values['s3-outage-seconds']) });
        break;
      case 'pg-restart':
        // a few epochs: jobs are queued and training when the restart comes
        results[scenario] = await pgRestart(stack, {
          datasetId,
          config: { ...FAULT_JOB.config, epochs: 3 },
          stepsPerEpoch: Math.floor(images / FAULT_JOB.config.batchSize),
          restartCommand: values['pg-restart']!,
        });
        break;
    }
  } catch (err) {
    results[scenario] = { error: (err as Error).message, logs: stack.dir };
    process.env.FAULTS_KEEP_DIR = '1';
  } finally {
    (results[scenario] as Record<string, unknown>).scenarioSeconds = (Date.now() - started) / 1000;
    await stack.close();
  }
}
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
