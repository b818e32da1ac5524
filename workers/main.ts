// `npm run worker`: a training worker process for a configured deployment (DATABASE_URL + S3_*).
// SIGTERM (a spot interruption, a rolling update) finishes the current step, writes a checkpoint and
// hands the job back to the queue before exiting.
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { startServices } from '../src/services.ts';
import type { BackendName } from '../src/engine/index.ts';
import { startWorker } from './worker.ts';
import { startMetricsServer } from '../src/metrics/server.ts';

const config = loadConfig();
const log = pino({ level: config.logLevel });
if (!config.databaseUrl || !config.s3) {
  log.error('a standalone worker needs DATABASE_URL and S3_ENDPOINT/S3_BUCKET (the embedded default runs its worker inside `npm start`)');
  process.exit(2);
}
// handlers first: a SIGTERM that arrives during start-up still shuts down cleanly
let stopping = false;
const started = (async () => {
  const services = await startServices(config, log);
  const worker = await startWorker(services, log, {
    backend: process.env.SIMSIAM_BACKEND as BackendName | undefined,
    reportIntervalMs: process.env.WORKER_REPORT_INTERVAL_MS ? Number(process.env.WORKER_REPORT_INTERVAL_MS) : undefined,
  });
  // metrics are for watching: a port already taken must not stop a worker from training
  const metrics = await startMetricsServer(config.metricsPort, config.host, log).catch((err: unknown) => {
    log.error({ err, port: config.metricsPort }, 'worker metrics listener failed; running without /metrics');
    return undefined;
  });
  if (metrics) log.info({ port: metrics.port }, 'worker metrics on /metrics');
  return { services, worker, metrics };
})();

const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'worker stopping');
  const { services, worker, metrics } = await started;
  await worker.stop();
  await metrics?.close();
  await services.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
await started;
