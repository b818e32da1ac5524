// One claim of a training job: resume from the newest checkpoint (or start), train until done,
// cancelled, preempted (SIGTERM) or the claim runs out, and leave the job in a state the next
// claim can continue from. Anything thrown is transient: the worker retries the job with backoff
// (workers/worker.ts); a JobFailure is final, and so is running out of memory (the same step would
// run out again).
import type { Logger } from 'pino';
import type { Services } from '../../src/services.ts';
import type { BackendName } from '../../src/engine/index.ts';
import { jobTrainingConfig, type TrainingConfig } from '../../src/domain/trainingConfig.ts';
import { isFinished } from '../../src/domain/jobs.ts';
import type { QueueMessage } from '../../src/queue/boss.ts';
import type { QueueClaim } from '../../src/queue/settle.ts';
import { ImageLoader } from '../../src/data/loader.ts';
import type { DecodedImageCache } from '../../src/data/cache.ts';
import { decodeSpecOf } from '../../src/data/decode.ts';
import { datasetImages } from '../../src/data/manifest.ts';
import { keys } from '../../src/storage/keys.ts';
import { EngineClient } from '../../src/engine/thread/client.ts';
import { isOutOfMemory, outOfMemoryAdvice } from '../../src/engine/outOfMemory.ts';
import { JobFailure, jobRecord } from './jobRecord.ts';
import { errors } from '../../src/errors/catalogue.ts';
import { checkpointStore } from './checkpointStore.ts';
import { CollapseDetector, ThroughputMeter } from './meter.ts';
import { knnMonitor } from './knnMonitor.ts';
import { DipDetector, type DipEvent, type DipSummary } from './dipDetector.ts';
import { epochOrder } from './epochOrder.ts';
import { dropMetricsAfter, type MetricValues, writeMetricPoint } from './metricsWriter.ts';
import { trainingMetrics } from '../../src/metrics/training.ts';
import { canReplan, measuredStretch, planBudget, timeToPlan, type TimedPoint } from './budgetPlan.ts';

export interface TrainingContext {
  services: Services;
  log: Logger;
  workerId: string;
  cache?: DecodedImageCache;
  backend?: BackendName;
  /** set on SIGTERM: finish the step, checkpoint, hand the job back */
  preempted: () => boolean;
  /** how long one claim may train before checkpointing and re-enqueueing (the queue caps claims) */
  maxClaimMs: number;
  reportIntervalMs?: number;
}

type StopReason = 'cancel' | 'claim-lost' | 'preempt' | 'handoff' | 'budget';

function validConfig(raw: unknown): TrainingConfig {
  try {
    return jobTrainingConfig(raw);
  } catch (err) {
    throw new JobFailure('INVALID_JOB_CONFIG', (err as Error).message);
  }
}

/** Stores the trained backbone where GET /v1/jobs/:id/model/model.json serves it. */
async function exportModel(engine: EngineClient, services: Services, jobId: string) {
  const bundle = await engine.call('exportLayersModel', {});
  await services.blobs.put(keys.modelExport(jobId, 'weights.bin'), bundle.weights, 'application/octet-stream');
  await services.blobs.put(keys.modelExport(jobId, 'model.json'), JSON.stringify(bundle.modelJson), 'application/json');
}

/** One claim of a queue message, and the signal that fires when the claim is lost. */
export interface Claim extends QueueClaim {
  signal: AbortSignal;
}

export async function runTraining(ctx: TrainingContext, message: QueueMessage, claim: Claim): Promise<void> {
  const { services, log } = ctx;
  const jobId = message.id;
  const record = jobRecord(services, jobId, claim, log);
  const job = await record.load();
  if (!job || isFinished(job.status)) return;
  // a message the job was handed on from (an attempt that re-enqueued it) must not run it again
  if (job.queueJobId !== null && job.queueJobId !== claim.id) return;
  if (await record.cancelRequested()) return record.cancelled();

  const config = validConfig(job.config);
  // the dataset as it was when the job was created: every attempt sees the same images
  const images = await datasetImages(services.db, job.datasetId, job.imageSeqMax);
  if (!images.length) throw new JobFailure('DATASET_EMPTY', `dataset ${job.datasetId} has no images`);
  const stepsPerEpoch = Math.floor(images.length / config.batchSize);
  if (stepsPerEpoch < 1) {
    throw new JobFailure('DATASET_TOO_SMALL', `dataset has ${images.length} images, fewer than batchSize ${config.batchSize}`);
  }
  let totalSteps = stepsPerEpoch * config.epochs;
  const checkpoints = checkpointStore(services, jobId);
  const resume = await checkpoints.latest();
  const loader = new ImageLoader(images, decodeSpecOf(config), { blobs: services.blobs, cache: ctx.cache });
  const knn = config.knnEveryEpochs > 0 ? knnMonitor(loader, config.seed) : undefined;

  const engine = new EngineClient();
  try {
    // the first epoch reads from the cache too: packs are read whole while the engine builds its model
    const warmStart = performance.now();
    const [init, warmed] = await Promise.all([
      engine.call('init', { backend: ctx.backend, config, stepsPerEpoch, datasetSize: images.length, checkpoint: resume?.bytes }),
      loader.warmCache(() => ctx.preempted() || claim.signal.aborted),
    ]);
    if (warmed.images > 0) log.info({ jobId, ...warmed, ms: Math.round(performance.now() - warmStart) }, 'image cache warmed');
    let step = init.completedSteps;
    await dropMetricsAfter(services.pool, jobId, step);
    if (!(await record.start(ctx.workerId, init.info.backend, resume ? resume.epoch : null))) {
      if (await record.cancelRequested()) await record.cancelled();
      return;
    }
    log.info({ jobId, backend: init.info.backend, resumeStep: resume?.step ?? 0, images: images.length }, 'training started');

    const previous = (job.progress ?? {}) as Record<string, unknown>;
    const meter = new ThroughputMeter();
    const collapse = new CollapseDetector(config.collapseThreshold, config.collapsePatienceEpochs, init.monitorDim);
    collapse.restore(Number(previous.collapseLowEpochs ?? 0));
    let knnTop1 = typeof previous.knnTop1 === 'number' ? previous.knnTop1 : null;
    // the trends start afresh on resume; the count and the worst dip carry over
    const dips = new DipDetector(config, previous.dips as DipSummary | undefined);
    // where this claim's training (and its throughput) is timed from: its first batch request
    let timedFrom: TimedPoint | undefined;
    // the end of this claim's first step: a budget's plan measures from there (budgetPlan.ts)
    let firstStepEnd: TimedPoint | undefined;
    // training time over every claim, for a budget (engine start-up is not training)
    const secondsBefore = typeof previous.trainingSeconds === 'number' ? previous.trainingSeconds : 0;
    const trainingSeconds = () => secondsBefore + (timedFrom ? (performance.now() - timedFrom.at) / 1000 : 0);
    let stoppedAtBudget = false;
    let last = { loss: NaN, lr: NaN, zStd: NaN, pStd: NaN };

    const progress = () => ({
      epoch: step / stepsPerEpoch,
      epochs: config.epochs,
      step,
      totalSteps,
      stepsPerEpoch,
      ...last,
      healthyStd: collapse.healthyStd,
      imagesPerSecond: meter.imagesPerSecond,
      dataWaitFraction: meter.dataWaitFraction,
      etaSeconds: meter.etaSeconds(totalSteps - step),
      knnTop1,
      collapsed: collapse.collapsed,
      collapseLowEpochs: collapse.lowEpochCount,
      dips: dips.dips,
      skippedImages: loader.failed.size,
      backend: init.info.backend,
      threads: init.info.threads,
      kernels: init.info.kernels ?? null,
      trainingSeconds: Math.round(trainingSeconds() * 10) / 10,
      ...(config.budget ? { stoppedAtBudget } : {}),
    });
    const report = async (extra: MetricValues = {}) => {
      const p = progress();
      await writeMetricPoint(services.pool, jobId, Math.floor(step / stepsPerEpoch), step, {
        loss: p.loss, lr: p.lr, zStd: p.zStd, pStd: p.pStd, imagesPerSecond: p.imagesPerSecond, dataWaitFraction: p.dataWaitFraction, ...extra,
      });
      await record.progress(p);
    };
    // the step the newest checkpoint holds: a second trigger at that step (time and epoch both due,
    // a preemption right after resuming) has nothing to add
    let checkpointedStep = resume ? step : -1;
    const saveCheckpoint = async (final: boolean) => {
      if (!final && step === checkpointedStep) return;
      const bytes = await engine.call('serialize', {});
      await checkpoints.save({ epoch: Math.floor(step / stepsPerEpoch), step, bytes, metrics: progress(), final, keep: config.keepCheckpoints });
      lastCheckpointAt = Date.now();
      checkpointedStep = step;
    };
    // a budget job turns its minutes into epochs once, from the throughput of its first steps
    const planIfDue = async (epochEnded: boolean, now = false) => {
      if (!config.budget || config.budgetPlan || !timedFrom || step === timedFrom.step) return;
      const run = {
        spentSeconds: trainingSeconds(),
        ...measuredStretch(timedFrom, firstStepEnd, step, performance.now()),
        stepsDone: step,
        stepsPerEpoch,
        batchSize: config.batchSize,
      };
      if (!now && (!timeToPlan(config.budget.minutes, run, epochEnded) || !canReplan(step, stepsPerEpoch, config.warmupEpochs))) return;
      const plan = planBudget(config.budget.minutes, run);
      // also at the budget's end: the final checkpoint must carry the config the job echoes (a probe
      // or a resume refuses a checkpoint written under another one)
      await engine.call('replan', { epochs: plan.epochs });
      config.epochs = plan.epochs;
      config.budgetPlan = plan;
      totalSteps = stepsPerEpoch * plan.epochs;
      await record.replanned(config);
      // a resume must find a checkpoint written under the planned config
      if (!now) await saveCheckpoint(false);
      log.info({ jobId, ...plan }, 'budget planned');
    };
    // stops before a step that would end past the budget, judged by the last step's time
    let lastStepSeconds = 0;
    const overBudget = () => !!config.budget && trainingSeconds() + lastStepSeconds >= config.budget.minutes * 60;
    // a periodic checkpoint that storage refused (after the store's retries) is skipped, not fatal:
    // training carries on and the next interval tries again
    const periodicCheckpoint = () =>
      saveCheckpoint(false).catch((err: unknown) => {
        lastCheckpointAt = Date.now();
        log.warn({ err, jobId, step }, 'periodic checkpoint skipped: storage unavailable');
      });

    let stop: StopReason | undefined;
    const claimStart = Date.now();
    let lastCheckpointAt = Date.now();
    let lastReportAt = 0;
    claim.signal.addEventListener('abort', () => (stop ??= 'claim-lost'));
    const cancelPoll = setInterval(() => {
      record.cancelRequested().then((c) => c && (stop ??= 'cancel'), () => {});
    }, 2000);
    try {
      for (let epoch = Math.floor(step / stepsPerEpoch); epoch < config.epochs && !stop; epoch++) {
        const order = epochOrder(images.length, config.seed, epoch).slice((step - epoch * stepsPerEpoch) * config.batchSize);
        const sums = { z: 0, p: 0, loss: 0, n: 0 };
        const events: DipEvent[] = [];
        let waitStart = performance.now();
        timedFrom ??= { step, at: waitStart };
        for await (const batch of loader.batches(order, config.batchSize)) {
          const waitMs = performance.now() - waitStart;
          const { size, channels } = loader.spec;
          const n = batch.indices.length;
          const stepStart = performance.now();
          // a batch shrunk by corrupt images still trains; BN needs two samples
          if (n >= 2) {
            const indices = Int32Array.from(batch.indices);
            const pixels = { data: batch.pixels, shape: [n, size, size, channels] as [number, number, number, number] };
            const r = await engine.call('step', { pixels, indices }, [batch.pixels.buffer as ArrayBuffer, indices.buffer]);
            last = { loss: r.loss, lr: r.lr, zStd: r.zStd, pStd: r.pStd };
            events.push(...dips.observeStep(step + 1, r.loss, r.zStd));
            sums.z += r.zStd;
            sums.p += r.pStd;
            sums.loss += r.loss;
            sums.n++;
          }
          step++;
          firstStepEnd ??= { step, at: performance.now() };
          const sample = { images: n, stepMs: performance.now() - stepStart, waitMs };
          lastStepSeconds = (sample.stepMs + waitMs) / 1000;
          meter.record(sample);
          trainingMetrics.step(sample, meter);
          if (ctx.preempted()) stop ??= 'preempt';
          if (Date.now() - claimStart > ctx.maxClaimMs) stop ??= 'handoff';
          await planIfDue(false);
          if (overBudget()) stop ??= 'budget';
          // a step that starts a dip is reported at once, so the event lands on its own step
          if (events.length || Date.now() - lastReportAt >= (ctx.reportIntervalMs ?? 1000)) {
            await report(events.length ? { events: events.splice(0) } : {});
            lastReportAt = Date.now();
          }
          if (stop) break;
          if (Date.now() - lastCheckpointAt >= config.checkpointEveryMinutes * 60_000 && step < totalSteps) await periodicCheckpoint();
          waitStart = performance.now();
        }
        if (stop) break;
        const epochsDone = epoch + 1;
        if (knn && (epochsDone % config.knnEveryEpochs === 0 || epochsDone === config.epochs)) {
          knnTop1 = await knn.measure(engine, init.featureDim);
          const dip = dips.observeKnn(step, knnTop1);
          if (dip) events.push(dip);
        }
        collapse.endEpoch(sums.z / Math.max(sums.n, 1), sums.p / Math.max(sums.n, 1));
        await report({
          epochEnd: true, epochLoss: sums.loss / Math.max(sums.n, 1), knnTop1, collapsed: collapse.collapsed,
          ...(events.length ? { events: events.splice(0) } : {}),
        });
        await planIfDue(true);
        if (epochsDone % config.checkpointEveryEpochs === 0 && epochsDone < config.epochs) await periodicCheckpoint();
      }
    } finally {
      clearInterval(cancelPoll);
    }

    if (stop === 'claim-lost' && (await record.cancelRequested())) stop = 'cancel';
    switch (stop) {
      case 'cancel':
        log.info({ jobId, step }, 'training cancelled');
        return record.cancelled();
      case 'claim-lost':
        // another worker owns the job now; whatever we would write could clobber its progress
        log.warn({ jobId, step }, 'claim lost, stopping without writing');
        return;
      case 'budget':
        // the estimate was off (or the budget is shorter than the measurement): the run ends where
        // the budget does, with what it learnt so far, and still records what it measured
        stoppedAtBudget = true;
        await planIfDue(false, true);
        log.info({ jobId, step, totalSteps }, 'budget spent before the planned epochs');
        break;
      case 'preempt':
      case 'handoff':
        await report();
        // handing back matters more than the last few steps: the next claim resumes from an older checkpoint
        await periodicCheckpoint();
        await record.requeue({ failures: message.failures });
        log.info({ jobId, step, reason: stop }, 'training handed back to the queue');
        return;
    }
    await saveCheckpoint(true);
    await exportModel(engine, services, jobId);
    await record.succeed(progress());
    log.info({ jobId, step }, 'training succeeded');
  } catch (err) {
    // the same step runs out again on every attempt: final, and saying what to change
    if (isOutOfMemory(err)) throw new JobFailure(errors.ENGINE_OUT_OF_MEMORY.code, `the training engine ran out of memory (${(err as Error).message}); ${outOfMemoryAdvice(config)}`);
    throw err;
  } finally {
    await engine.close();
  }
}
