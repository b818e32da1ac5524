// Issue #14's short run per method, through the service's public HTTP API only: Fashion-MNIST training
// images → an unlabeled pretraining set and a disjoint labeled validation set (also training images:
// the test set is never read) → one job per method with its own recipe defaults → a linear probe on
// the validation set split into train/test, which scores kNN top-1 for the trained backbone and for
// the random-init one → one JSON record per method, the JSON file and a Markdown table.
//
//   node --import tsx bench/methods-short.ts [--methods simsiam,simclr,...] [--epochs 5]
//       [--pretrain-images 5000] [--val-images 2000] [--batch-size 128]
//       [--vary baseLr=0.05,0.15,0.5]   (one run per method and value: a sweep scored on validation)
//       [--url http://host:8080 --api-key ssk_...]   (default: start `npm start` on a temp DATA_DIR)
//       [--report-only]   (the Markdown again from the JSON)
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { METHODS } from '../src/domain/trainingConfig.ts';
import { ensureArchive } from './fashion-mnist/archive.ts';
import { seededPermutation } from './fashion-mnist/subsets.ts';
import { readSplit } from './fashion-mnist/idx.ts';
import { followJob, linearProbe, startJob, type MetricPoint } from './fashion-mnist/jobs.ts';
import { ProgressBoard } from './fashion-mnist/progress.ts';
import { connectService } from './fashion-mnist/service.ts';
import { uploadDataset } from './fashion-mnist/upload.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

const { values: v } = parseArgs({
  options: {
    methods: { type: 'string', default: METHODS.join(',') },
    epochs: { type: 'string', default: '5' },
    'pretrain-images': { type: 'string', default: '5000' },
    'val-images': { type: 'string', default: '2000' },
    // the validation set's share that is the kNN bank / probe training set; the rest are queries
    'val-bank-fraction': { type: 'string', default: '0.8' },
    'batch-size': { type: 'string', default: '128' },
    backbone: { type: 'string', default: 'resnet-tiny' },
    'image-size': { type: 'string', default: '28' },
    seed: { type: 'string', default: '0' },
    vary: { type: 'string' },
    json: { type: 'string', default: path.join(ROOT, 'bench/results/methods-short-fashion-mnist.json') },
    markdown: { type: 'string', default: path.join(ROOT, 'docs/results-methods.md') },
    url: { type: 'string', default: process.env.SIMSIAM_URL },
    'api-key': { type: 'string', default: process.env.SIMSIAM_API_KEY },
    // rewrites --markdown from the results already in --json, runs nothing
    'report-only': { type: 'boolean', default: false },
  },
  strict: true,
});

function count(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return n;
}

export interface MethodResult {
  method: string;
  /** the config keys this run set beyond the shared ones (--vary) */
  overrides?: Record<string, number>;
  jobId: string;
  epochs: number;
  imagesSeen: number;
  lossFirstEpoch: number | null;
  lossLastEpoch: number | null;
  knnTop1: number | null;
  randomInitKnnTop1: number | null;
  linearTop1: number | null;
  randomInitLinearTop1: number | null;
  wallSeconds: number;
  imagesPerSecond: number;
}

/** The epoch-end losses (the mean over each epoch's steps), in epoch order. */
const epochLosses = (metrics: MetricPoint[]) =>
  metrics.filter((p) => typeof p.values.epochLoss === 'number').sort((a, b) => a.step - b.step).map((p) => p.values.epochLoss as number);

const round = (x: number | null | undefined, digits = 4) => (typeof x === 'number' ? Math.round(x * 10 ** digits) / 10 ** digits : null);

/** `--vary key=a,b,c`: one config override per value; no --vary is one run with none. */
function variants(vary: string | undefined): Record<string, number>[] {
  if (!vary) return [{}];
  const match = /^(\w+)=([\d.e+-]+(?:,[\d.e+-]+)*)$/.exec(vary);
  if (!match) throw new Error(`--vary must look like baseLr=0.05,0.5, got ${vary}`);
  return match[2].split(',').map((value) => ({ [match[1]]: Number(value) }));
}

const runName = (r: Pick<MethodResult, 'method' | 'overrides'>) => [r.method, ...Object.entries(r.overrides ?? {}).map(([k, x]) => `${k}=${x}`)].join(' ');

function markdown(results: MethodResult[], command: string, setup: Record<string, unknown>): string {
  const cell = (x: number | null) => (x === null ? '–' : String(x));
  const rows = results.map((r) =>
    `| ${runName(r)} | ${r.epochs} | ${r.imagesSeen} | ${cell(r.lossFirstEpoch)} → ${cell(r.lossLastEpoch)} | ${cell(r.knnTop1)} | ${cell(r.randomInitKnnTop1)} | ${cell(r.linearTop1)} | ${r.wallSeconds} | ${r.imagesPerSecond} |`,
  );
  return [
    '# Short runs per method on Fashion-MNIST (issue #14)',
    '',
    'Each method trains through `POST /v1/jobs` on the embedded default with its own recipe defaults',
    '(only backbone, image size, channels, epochs and batch size are set). kNN top-1 and linear top-1 come from',
    "the API's linear-probe evaluation on a labeled validation set carved from Fashion-MNIST's **training**",
    'images disjoint from the pretraining images (the test set is never read), split into kNN bank / probe',
    "train and queries; the random-init column is the first method's evaluation's `random-init` baseline",
    '(the same backbone and seed for every method, so scored once).',
    '',
    "Reading the losses: SimSiam's is the negative cosine (−1 is perfect), BYOL's the normalised regression",
    "(0 is perfect); SimCLR's NT-Xent and SwAV's swapped prediction fall slowly from their chance levels.",
    "MoCo v2's InfoNCE rises over the first K images: its queue of K keys starts as random unit vectors, and as",
    'real keys of similar images replace them the negatives get harder; with fewer than K pretraining images it',
    'keeps rising over a short run.',
    '',
    `Setup: ${JSON.stringify(setup)}`,
    '',
    '| method | epochs | images seen | loss first → last epoch | kNN top-1 | random-init kNN top-1 | linear top-1 | wall s | images/s |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Wall times and images/s were measured on a 2-core machine shared with other jobs (load average well',
    'above the core count): they are inflated and say nothing about speed. The accuracies are what the run is for.',
    '',
    'Command:',
    '',
    '```',
    command,
    '```',
    '',
  ].join('\n');
}

async function main() {
  if (v['report-only']) {
    const saved = JSON.parse(fs.readFileSync(v.json, 'utf8')) as { setup: Record<string, unknown>; command: string; results: MethodResult[] };
    fs.writeFileSync(v.markdown, markdown(saved.results, saved.command, saved.setup));
    return;
  }
  const methods = v.methods.split(',').map((m) => m.trim()).filter(Boolean);
  const unknown = methods.filter((m) => !(METHODS as readonly string[]).includes(m));
  if (unknown.length) throw new Error(`unknown method(s) ${unknown.join(', ')}; known: ${METHODS.join(', ')}`);
  const runs = methods.flatMap((method) => variants(v.vary).map((overrides) => ({ method, overrides })));
  const epochs = count('epochs', v.epochs);
  const seed = Number(v.seed);
  const bankFraction = Number(v['val-bank-fraction']);
  if (!(bankFraction > 0 && bankFraction < 1)) throw new Error('--val-bank-fraction must be in (0, 1)');
  const shared = { backbone: v.backbone, imageSize: count('image-size', v['image-size']), channels: 1, epochs, batchSize: count('batch-size', v['batch-size']), seed };

  const train = readSplit('train');
  const order = seededPermutation(train.count, seed);
  const pretrainCount = count('pretrain-images', v['pretrain-images']);
  const valCount = count('val-images', v['val-images']);
  if (pretrainCount + valCount > train.count) throw new Error(`only ${train.count} training images`);
  const cache = path.join(ROOT, 'bench/out/fashion-mnist-cache');
  const archives = {
    pretrain: await ensureArchive(path.join(cache, `methods-pretrain-${pretrainCount}-seed${seed}.tar.gz`), [{ split: train, indices: order.slice(0, pretrainCount), labeled: false }]),
    validation: await ensureArchive(path.join(cache, `methods-val-${valCount}-after${pretrainCount}-seed${seed}.tar.gz`), [
      { split: train, indices: order.slice(pretrainCount, pretrainCount + valCount) },
    ]),
  };

  const argv = process.argv.slice(2).map((a, i, all) => (all[i - 1] === '--api-key' ? '$SIMSIAM_API_KEY' : a));
  const command = `node --import tsx bench/methods-short.ts ${argv.join(' ')}`.trim();
  const setup = { ...shared, pretrainImages: pretrainCount, validationImages: valCount, validationBankFraction: bankFraction, split: 'Fashion-MNIST train only' };
  const board = new ProgressBoard();
  const service = await connectService({ url: v.url, apiKey: v['api-key'], logFile: path.join(ROOT, 'bench/out/methods-short-service.log') });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void service.stop().finally(() => process.exit(130)));
  const results: MethodResult[] = [];
  const write = () => {
    fs.mkdirSync(path.dirname(v.json), { recursive: true });
    fs.writeFileSync(v.json, `${JSON.stringify({ setup, command, results }, null, 2)}\n`);
    fs.writeFileSync(v.markdown, markdown(results, command, setup));
  };
  try {
    const pretrain = await uploadDataset(service, 'fashion-mnist-methods-pretrain', archives.pretrain);
    const validation = await uploadDataset(service, 'fashion-mnist-methods-validation', archives.validation);
    board.note(`uploaded ${pretrain.added} pretraining and ${validation.added} validation images`);
    for (const { method, overrides } of runs) {
      // the per-epoch kNN monitor needs labels in the pretraining set, which has none: the probe scores kNN
      const job = await startJob(service, pretrain.id, { ...shared, method, ...overrides, knnEveryEpochs: 0 });
      const finished = await followJob(service, job.id, runName({ method, overrides }), board);
      // the random-init backbone is the same for every method (same backbone and seed): scored once
      const probe = await linearProbe(service, job.id, { datasetId: validation.id, splitFraction: bankFraction, seed, baselines: results.length ? [] : ['random-init'] });
      const losses = epochLosses(finished.metrics);
      const imagesSeen = epochs * pretrain.added;
      const randomInit = probe.baselines?.['random-init'] ?? { knnTop1: results[0]?.randomInitKnnTop1, top1: results[0]?.randomInitLinearTop1 };
      results.push({
        method,
        ...(Object.keys(overrides).length && { overrides }),
        jobId: job.id,
        epochs,
        imagesSeen,
        lossFirstEpoch: round(losses[0]),
        lossLastEpoch: round(losses.at(-1)),
        knnTop1: round(probe.knnTop1),
        randomInitKnnTop1: round(randomInit?.knnTop1),
        linearTop1: round(probe.top1),
        randomInitLinearTop1: round(randomInit?.top1),
        wallSeconds: round(finished.wallSeconds, 1)!,
        imagesPerSecond: round(imagesSeen / finished.wallSeconds, 1)!,
      });
      process.stdout.write(`${JSON.stringify(results.at(-1))}\n`);
      write();
    }
  } finally {
    await service.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
