// Issue #6 end to end, through the service's public HTTP API only: Fashion-MNIST archives (unlabeled
// pretraining set, labeled probe train/test sets) → upload → the SimSiam runs one after another with
// a live progress board, and beside them the PyTorch reference on the same pixels (one thread each:
// give the service OMP_NUM_THREADS=1 on a 2-core machine) → a linear probe per run (raw-pixel and
// random-init baselines on the first, whose test-set embeddings are downloaded too) →
// results.json (the issue's schema), details.json, results.md and PNG plots in --out.
//
//   node --import tsx bench/fashion-mnist/run.ts [--smoke] [--runs simsiam,no-stop-grad,...]
//       [--epochs N] [--pretrain-images N] [--backbone resnet-tiny] [--image-size 28] ...
//       [--url http://host:8080 --api-key ssk_...]   (default: start `npm start` on a temp DATA_DIR)
//
// `--help` lists every option.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { booleanFlag } from '../flags.ts';
import { BACKBONE_SPECS } from '../../src/engine/backbones/specs.ts';
import { BACKBONES, type BackboneName } from '../../src/domain/trainingConfig.ts';
import { ensureArchive } from './archive.ts';
import { readSplit } from './idx.ts';
import { downloadEmbeddings, followJob, linearProbe, startJob } from './jobs.ts';
import { writePixels } from './pixels.ts';
import { ProgressBoard } from './progress.ts';
import { PYTHON, REFERENCE_SCRIPT, runReference } from './reference.ts';
import { collectResults, markdownTable, trainingMachine, writePlots, writeReport, type ReferenceResult, type RunRecord } from './report.ts';
import { publishRecords, saveRecord } from './records.ts';
import { jobConfig, parseRuns, RUN_NAMES, type Recipe } from './runs.ts';
import { connectService } from './service.ts';
import { seededSample } from './subsets.ts';
import { uploadDataset } from './upload.ts';

const OPTIONS = {
  smoke: { type: 'boolean', default: false },
  runs: { type: 'string', default: RUN_NAMES.join(',') },
  epochs: { type: 'string' },
  'pretrain-images': { type: 'string' },
  // the first N pretraining images keep their class folder: SimSiam never reads labels, but the
  // service's per-epoch kNN monitor needs some (it scores a labeled subset of the training set)
  'monitor-labels': { type: 'string' },
  'probe-train-images': { type: 'string' },
  'probe-test-images': { type: 'string' },
  backbone: { type: 'string', default: 'resnet-tiny' },
  'image-size': { type: 'string', default: '28' },
  'batch-size': { type: 'string', default: '128' },
  'base-lr': { type: 'string', default: '0.05' },
  'weight-decay': { type: 'string', default: '0.0005' },
  'projector-dim': { type: 'string', default: '2048' },
  'projector-layers': { type: 'string', default: '2' },
  // 'false' drops the BN after the projector's output fc (paper table 4), without which z can collapse
  'projector-output-bn': { type: 'string', default: 'true' },
  seed: { type: 'string', default: '0' },
  'no-reference': { type: 'boolean', default: false },
  'reference-max-seconds': { type: 'string', default: '0' },
  'reference-threads': { type: 'string', default: '1' },
  out: { type: 'string' },
  // where each finished run's record goes (default <out>/runs): a committed folder lets runs made
  // on different days be published as one table (publish.ts)
  records: { type: 'string' },
  // publish the records folder's table to bench/results/fashion-mnist* (see publish.ts)
  publish: { type: 'boolean', default: false },
  url: { type: 'string', default: process.env.SIMSIAM_URL },
  'api-key': { type: 'string', default: process.env.SIMSIAM_API_KEY },
  help: { type: 'boolean', default: false },
} as const;

// a few minutes end to end on 2 shared cores: every step runs, nothing is meant to be accurate
const SMOKE = { epochs: 1, 'pretrain-images': 2000, 'monitor-labels': 400, 'probe-train-images': 1000, 'probe-test-images': 500 };
const FULL = { epochs: 20, 'pretrain-images': 60000, 'monitor-labels': 4000, 'probe-train-images': 60000, 'probe-test-images': 10000 };

const ROOT = path.resolve(import.meta.dirname, '../..');

function positiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}

async function main() {
  const { values: v } = parseArgs({ options: OPTIONS, strict: true });
  if (v.help) {
    process.stdout.write(`options (defaults; --smoke changes ${Object.keys(SMOKE).join(', ')}):\n${JSON.stringify(OPTIONS, null, 1)}\n`);
    return;
  }
  const budget = v.smoke ? SMOKE : FULL;
  const num = (name: keyof typeof FULL) => positiveInt(name, (v[name] as string | undefined) ?? String(budget[name]));
  if (!(BACKBONES as readonly string[]).includes(v.backbone)) throw new Error(`--backbone must be one of ${BACKBONES.join(', ')}`);
  const recipe: Recipe = {
    backbone: v.backbone as BackboneName,
    imageSize: positiveInt('image-size', v['image-size']),
    epochs: num('epochs'),
    batchSize: positiveInt('batch-size', v['batch-size']),
    baseLr: Number(v['base-lr']),
    weightDecay: Number(v['weight-decay']),
    projectorDim: positiveInt('projector-dim', v['projector-dim']),
    projectorLayers: Number(v['projector-layers']) as 2 | 3,
    projectorOutputBn: booleanFlag('projector-output-bn', v['projector-output-bn']),
    seed: positiveInt('seed', v.seed),
  };
  // --runs '' with the reference: the reference alone (its record for a records folder)
  const runs = parseRuns(v.runs);
  if (!runs.length && v['no-reference']) throw new Error('nothing to run: --runs is empty and --no-reference is set');
  // the records folder must then hold every run and the reference (publish.ts checks), made now or earlier
  if (v.publish && v.smoke) throw new Error('--publish is for the full reproduction, not --smoke');
  const out = path.resolve(v.out ?? path.join(ROOT, 'bench/out', v.smoke ? 'fashion-mnist-smoke' : 'fashion-mnist'));
  const recordsDir = path.resolve(v.records ?? path.join(out, 'runs'));
  const cache = path.join(ROOT, 'bench/out/fashion-mnist-cache');
  fs.mkdirSync(out, { recursive: true });
  const board = new ProgressBoard();
  // the command as run, minus the secret: the results file is committed
  const argv = process.argv.slice(2).map((a, i, all) => (all[i - 1] === '--api-key' ? '$SIMSIAM_API_KEY' : a.replace(/^--api-key=.*/, '--api-key=$SIMSIAM_API_KEY')));
  const commands = [`node --import tsx bench/fashion-mnist/run.ts ${argv.join(' ')}`.trim()];

  // data: index subsets are a function of (count, seed), so cached archives are named by them
  const train = readSplit('train');
  const test = readSplit('t10k');
  const pretrainIdx = seededSample(train.count, num('pretrain-images'), recipe.seed);
  const probeTrainIdx = seededSample(train.count, num('probe-train-images'), recipe.seed + 1);
  const probeTestIdx = seededSample(test.count, num('probe-test-images'), recipe.seed + 2);
  const monitorLabels = Math.min(num('monitor-labels'), pretrainIdx.length);
  const data = { pretrainImages: pretrainIdx.length, monitorLabels, probeTrainImages: probeTrainIdx.length, probeTestImages: probeTestIdx.length };
  board.note(`writing archives under ${cache}`);
  const archives = {
    pretrain: await ensureArchive(path.join(cache, `pretrain-${pretrainIdx.length}-labels${monitorLabels}-seed${recipe.seed}.tar.gz`), [
      { split: train, indices: pretrainIdx, labeled: monitorLabels },
    ]),
    probeTrain: await ensureArchive(path.join(cache, `probe-train-${probeTrainIdx.length}-seed${recipe.seed + 1}.tar.gz`), [{ split: train, indices: probeTrainIdx }]),
    probeTest: await ensureArchive(path.join(cache, `probe-test-${probeTestIdx.length}-seed${recipe.seed + 2}.tar.gz`), [{ split: test, indices: probeTestIdx }]),
  };

  const referenceThreads = positiveInt('reference-threads', v['reference-threads']);
  const startReference = async (): Promise<ReferenceResult> => {
    board.note('PyTorch reference: decoding its pixels with the service decoder');
    const pixels = path.join(cache, `pixels-${recipe.imageSize}`);
    const args = [
      '--pretrain', await writePixels(path.join(pixels, `pretrain-${pretrainIdx.length}-seed${recipe.seed}`), train, pretrainIdx, recipe.imageSize, false),
      '--train', await writePixels(path.join(pixels, `probe-train-${probeTrainIdx.length}-seed${recipe.seed + 1}`), train, probeTrainIdx, recipe.imageSize, true),
      '--test', await writePixels(path.join(pixels, `probe-test-${probeTestIdx.length}-seed${recipe.seed + 2}`), test, probeTestIdx, recipe.imageSize, true),
      '--spec', JSON.stringify(BACKBONE_SPECS[recipe.backbone]),
      '--image-size', String(recipe.imageSize),
      '--epochs', String(recipe.epochs),
      '--max-seconds', String(Number(v['reference-max-seconds'])),
      '--batch-size', String(recipe.batchSize),
      '--base-lr', String(recipe.baseLr),
      '--weight-decay', String(recipe.weightDecay),
      '--projector-dim', String(recipe.projectorDim),
      '--projector-layers', String(recipe.projectorLayers),
      '--seed', String(recipe.seed),
      '--threads', String(referenceThreads),
      ...(recipe.projectorOutputBn ? [] : ['--no-projector-output-bn']),
    ];
    commands.push([PYTHON, path.relative(ROOT, REFERENCE_SCRIPT), ...args.map((a) => (a.startsWith('{') ? `'${a}'` : path.isAbsolute(a) ? path.relative(ROOT, a) : a))].join(' '));
    return runReference(args, path.join(out, 'reference.log'), (line) => board.note(`reference ${line}`));
  };

  const service = await connectService({ url: v.url, apiKey: v['api-key'], logFile: path.join(out, 'service.log') });
  // an interrupted run must not leave the service it started (and its PostgreSQL) behind
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void service.stop().finally(() => process.exit(130)));
  }
  const records: RunRecord[] = [];
  // a service we started inherits our OMP_NUM_THREADS (unset: one thread per core); one at --url is not ours to describe
  const serviceMachine = v.url ? undefined : trainingMachine(Number(process.env.OMP_NUM_THREADS) || os.cpus().length);
  let reference: ReferenceResult | null = null;
  const details: Record<string, unknown> = { recipe, runs: {}, service: service.url };
  const save = () => fs.writeFileSync(path.join(out, 'details.json'), `${JSON.stringify(details, null, 2)}\n`);
  try {
    board.note(`service ${service.url}; uploading`);
    const datasets = {
      pretrain: await uploadDataset(service, 'fashion-mnist-pretrain', archives.pretrain),
      probeTrain: await uploadDataset(service, 'fashion-mnist-probe-train', archives.probeTrain),
      probeTest: await uploadDataset(service, 'fashion-mnist-probe-test', archives.probeTest),
    };
    details.datasets = datasets;
    board.note(Object.entries(datasets).map(([k, d]) => `${k}: ${d.added} images (${d.seconds.toFixed(1)} s)`).join(', '));
    save();

    // the reference trains beside the service's runs, one thread each: the machine has two cores
    // its record is saved the moment it exists: an invocation stopped during a later run keeps it
    const referenceRun = v['no-reference']
      ? undefined
      : startReference().then((measured) => {
          const result = { ...measured, machine: trainingMachine(referenceThreads) };
          board.note(`reference: ${JSON.stringify(result)}`);
          saveRecord(path.join(recordsDir, 'reference.json'), { recipe, data, command: commands[1], reference: result });
          return result;
        });
    referenceRun?.catch(() => {}); // awaited after the runs; this only keeps an early failure from crashing the driver

    for (const [i, name] of runs.entries()) {
      const config = jobConfig(recipe, name);
      const job = await startJob(service, datasets.pretrain.id, config);
      const finished = await followJob(service, job.id, name, board);
      board.note(`${name}: trained in ${finished.wallSeconds.toFixed(0)} s; linear probe...`);
      // baselines are the same for every run (same architecture and seed): computed once
      const probe = await linearProbe(service, job.id, {
        trainDatasetId: datasets.probeTrain.id,
        testDatasetId: datasets.probeTest.id,
        baselines: i === 0 ? ['raw-pixels', 'random-init'] : [],
      });
      board.note(`${name}: linear top-1 ${probe.top1}, kNN ${probe.knnTop1}${i === 0 ? `, baselines ${JSON.stringify(probe.baselines)}` : ''}`);
      if (i === 0) {
        // the embeddings endpoint, exercised once: the first run's test-set features for offline use
        const file = path.join(out, `embeddings-${name}-probe-test.npy`);
        details.embeddings = { file: path.relative(ROOT, file), ...(await downloadEmbeddings(service, job.id, datasets.probeTest.id, file)) };
        board.note(`${name}: embeddings of the probe-test set -> ${path.relative(ROOT, file)}`);
      }
      records.push({ name, finished, probe, machine: serviceMachine });
      // one file per run, so runs made by separate invocations (in parallel, or across days) can be
      // published together by publish.ts
      saveRecord(path.join(recordsDir, `${name}.json`), { recipe, data, command: commands[0], record: records.at(-1)! });
      (details.runs as Record<string, unknown>)[name] = { jobId: job.id, config: finished.job.config, progress: finished.job.progress, wallSeconds: finished.wallSeconds, evaluation: probe, metrics: finished.metrics };
      save();
    }

    if (referenceRun) {
      board.note('waiting for the PyTorch reference');
      reference = await referenceRun;
      details.reference = reference;
      save();
    }

    const results = collectResults(records, reference, commands);
    const files = [...writeReport(out, results, reference), ...(records.length ? await writePlots(out, records, recipe.projectorDim) : [])];
    if (v.publish) files.push(...(await publishRecords([recordsDir], path.join(ROOT, 'bench/results'))));
    process.stdout.write(`${markdownTable(results, reference)}\n${JSON.stringify(results)}\nwrote ${files.map((f) => path.relative(ROOT, f)).join(', ')}\n`);
  } finally {
    await service.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
