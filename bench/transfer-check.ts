// Do the defaults transfer? On a held-out synthetic dataset (bench/datasets/synthetic.ts: rendered
// shapes and textures, colour or grayscale), a DEFAULT job (nothing but datasetId and a time budget)
// is trained through the public API, probed on a separate test set, and compared with the raw-pixel
// probe on the same labels. Prints one JSON object.
//
//   node --import tsx bench/transfer-check.ts --minutes 5 [--gray] [--size 32] [--train-per-class 150]
//     [--test-per-class 50] [--seed 1] [--url http://host:port --api-key KEY] [--log /tmp/service.log]
// Without --url it starts its own service (`npm start` on a temporary DATA_DIR).
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeSyntheticArchive } from './datasets/synthetic.ts';
import { connectService } from './fashion-mnist/service.ts';
import { uploadDataset } from './fashion-mnist/upload.ts';
import { followJob, linearProbe, startJob } from './fashion-mnist/jobs.ts';
import { ProgressBoard } from './fashion-mnist/progress.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    gray: { type: 'boolean', default: false },
    size: { type: 'string', default: '32' },
    'train-per-class': { type: 'string', default: '150' },
    'test-per-class': { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
    url: { type: 'string' },
    'api-key': { type: 'string', default: process.env.SIMSIAM_API_KEY },
    log: { type: 'string', default: path.join(os.tmpdir(), 'transfer-check-service.log') },
  },
});

const seed = Number(values.seed);
const size = Number(values.size);
const grayscale = values.gray;
const variant = `${grayscale ? 'gray' : 'colour'}-${size}px-s${seed}`;
const dir = path.join(os.tmpdir(), 'transfer-check');
const trainFile = path.join(dir, `shapes-${variant}-train${values['train-per-class']}.tar.gz`);
const testFile = path.join(dir, `shapes-${variant}-test${values['test-per-class']}.tar.gz`);
// the test images come from another stream of the generator than the train images
const classes = await writeSyntheticArchive(trainFile, { perClass: Number(values['train-per-class']), seed, size, grayscale });
await writeSyntheticArchive(testFile, { perClass: Number(values['test-per-class']), seed: seed + 1_000_003, size, grayscale });

const service = await connectService({ url: values.url, apiKey: values['api-key'], logFile: values.log });
try {
  const train = await uploadDataset(service, `shapes-${variant}-train`, trainFile);
  const test = await uploadDataset(service, `shapes-${variant}-test`, testFile);
  const minutes = Number(values.minutes);
  const posted = await startJob(service, train.id, { budget: { minutes } });
  const { job, wallSeconds } = await followJob(service, posted.id, `default job (${variant})`, new ProgressBoard());
  const probe = await linearProbe(service, job.id, { trainDatasetId: train.id, testDatasetId: test.id, baselines: ['raw-pixels', 'random-init'] });
  const config = job.config as Record<string, unknown>;
  const progress = (job.progress ?? {}) as Record<string, unknown>;
  const raw = probe.baselines?.['raw-pixels'];
  const random = probe.baselines?.['random-init'];
  const scores = (s: { top1?: number; knnTop1?: number | null; trainTop1?: number; featureDim?: number } | undefined) =>
    s && { top1: s.top1, trainTop1: s.trainTop1, knnTop1: s.knnTop1, featureDim: s.featureDim };
  const result = {
    dataset: { generator: 'bench/datasets/synthetic.ts', classes: classes.length, size, grayscale, seed, train: train.added, test: test.added },
    budgetMinutes: minutes,
    job: {
      id: job.id,
      echoed: Object.fromEntries(['method', 'backbone', 'imageSize', 'channels', 'batchSize', 'epochs', 'augment', 'budget', 'budgetPlan'].map((k) => [k, config[k]])),
      step: progress.step,
      trainingSeconds: progress.trainingSeconds,
      stoppedAtBudget: progress.stoppedAtBudget,
      knnTop1: progress.knnTop1,
      wallSeconds,
      machine: { cpus: os.cpus().length, loadAverage1m: os.loadavg()[0] },
    },
    probe: { top1: probe.top1, trainTop1: probe.details?.trainTop1, knnTop1: probe.knnTop1, featureDim: probe.details?.featureDim },
    rawPixels: scores(raw),
    randomInit: scores(random),
    majorityClass: 1 / classes.length,
    beatsRawPixels: raw && probe.top1 !== undefined ? probe.top1 > raw.top1 : null,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await service.stop();
}
