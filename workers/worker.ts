// A worker: claims one job at a time from the queue and runs it. Any number of workers on any number
// of machines share one PostgreSQL and one S3 bucket.
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Services } from '../src/services.ts';
import { heartbeatRefreshSeconds, MAX_CLAIM_SECONDS, QUEUES, TRAIN_CLAIM_LIMIT, type QueueMessage } from '../src/queue/boss.ts';
import { FAILED_ATTEMPT_LIMIT, failedAttemptDelaySeconds } from './training/attempts.ts';
import { DecodedImageCache } from '../src/data/cache.ts';
import type { BackendName } from '../src/engine/index.ts';
import { JobFailure, jobRecord } from './training/jobRecord.ts';
import { runTraining } from './training/runTraining.ts';
import { advanceExperiments } from '../src/domain/experimentState.ts';
import { startTaskQueues } from './embedding/queues.ts';
import { sweepExpiredUploads } from '../src/ingest/directUpload.ts';
import { startHeartbeat } from '../src/metrics/worker.ts';
import { collectImageBlobs } from '../src/storage/blobGc.ts';
import { reconcileQueues } from './reconcileQueues.ts';

// how often a worker clears the staging objects of expired direct uploads, and image blobs a crashed
// request left as garbage-collection candidates or under expired leases
const UPLOAD_SWEEP_INTERVAL_MS = 15 * 60_000;
// how often a worker completes queue messages whose row is already final (reconcileQueues.ts)
const RECONCILE_INTERVAL_MS = 60_000;

export interface WorkerOptions {
  backend?: BackendName;
  cacheDir?: string;
  cacheMaxBytes?: number;
  reportIntervalMs?: number;
}

export interface WorkerHandle {
  id: string;
  /** SIGTERM semantics: the running job checkpoints and goes back to the queue, then we stop */
  stop(): Promise<void>;
}

export async function startWorker(services: Services, log: Logger, opts: WorkerOptions = {}): Promise<WorkerHandle> {
  const id = `${os.hostname()}-${process.pid}`;
  let stopping = false;
  const cache = new DecodedImageCache(
    opts.cacheDir ?? path.join(services.config.dataDir, 'cache', 'decoded'),
    opts.cacheMaxBytes ?? Number(process.env.WORKER_CACHE_MAX_BYTES || 8 * 1024 ** 3),
  );
  const ctx = {
    services,
    log,
    workerId: id,
    cache,
    backend: opts.backend,
    preempted: () => stopping,
    maxClaimMs: (MAX_CLAIM_SECONDS - 1800) * 1000,
    reportIntervalMs: opts.reportIntervalMs,
  };

  await services.boss.work<QueueMessage>(
    QUEUES.train,
    { batchSize: 1, pollingIntervalSeconds: 1, heartbeatRefreshSeconds: heartbeatRefreshSeconds() },
    async ([job]) => {
      const claim = { queue: QUEUES.train, id: job.id, retryCount: job.retryCount };
      const record = jobRecord(services, job.data.id, claim, log);
      // every claim counts in retryCount, and only a lapsed claim (the worker died) makes pg-boss retry
      if (job.retryCount >= TRAIN_CLAIM_LIMIT) {
        return record.fail('WORKERS_LOST', `${job.retryCount} workers stopped while running this job; giving up`);
      }
      try {
        await runTraining(ctx, job.data, { ...claim, signal: job.signal });
      } catch (err) {
        if (err instanceof JobFailure) {
          log.warn({ jobId: job.data.id, code: err.code }, err.message);
          return record.fail(err.code, err.message);
        }
        // another worker holds the job now; its claim decides what happens next
        if (job.signal.aborted) return;
        const failures = (job.data.failures ?? 0) + 1;
        if (failures > FAILED_ATTEMPT_LIMIT) {
          return record.fail('RETRIES_EXHAUSTED', `gave up after ${failures} failed attempts: ${(err as Error).message}`);
        }
        const delay = failedAttemptDelaySeconds(failures);
        log.error({ err, jobId: job.data.id, failures, retryInSeconds: delay }, 'training attempt failed, will retry');
        // if even this fails (the database stays down), the throw leaves the claim to lapse and pg-boss hands it on
        await record.requeue({ failures }, delay);
      } finally {
        // a job that ended (or failed for good) may finish its experiment's row
        await advanceExperiments(services, log, { jobId: job.data.id });
      }
    },
  );
  const stopTasks = await startTaskQueues({ services, log, cache, backend: opts.backend });
  // housekeeping: each task now and then every interval; a failure is logged and tried again next time
  const every = (intervalMs: number, task: string, once: () => Promise<number>) => {
    const run = () =>
      once().then(
        (count) => count && log.info({ task, count }, 'housekeeping done'),
        (err: unknown) => log.warn({ err, task }, 'housekeeping failed'),
      );
    void run();
    return setInterval(run, intervalMs).unref();
  };
  const timers = [
    every(UPLOAD_SWEEP_INTERVAL_MS, 'expired-upload sweep', () => sweepExpiredUploads(services)),
    every(UPLOAD_SWEEP_INTERVAL_MS, 'image-blob collection', () => collectImageBlobs(services)),
    every(RECONCILE_INTERVAL_MS, 'queue reconciliation', () => reconcileQueues(services)),
  ];
  const stopHeartbeat = startHeartbeat(id);
  log.info({ workerId: id }, 'worker started');

  return {
    id,
    async stop() {
      stopping = true;
      for (const timer of timers) clearInterval(timer);
      // waits for the running handler, which sees `stopping`, checkpoints and re-enqueues
      await services.boss.offWork(QUEUES.train, { wait: true });
      await stopTasks();
      stopHeartbeat();
    },
  };
}
