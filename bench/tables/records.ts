// What run.ts leaves per finished run (row x seed) and per backbone's baselines, and how publish.ts
// reads them back into one table: per run the fields, per row the mean and std over its
// seeds. Records keep the epoch-end metric points, not the whole job.
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { EvaluationView, FinishedJob } from '../fashion-mnist/jobs.ts';
import type { TableSpec } from './rows.ts';

export interface DataSizes {
  trainImages: number;
  testImages: number;
}

/** One run, as bench/results/methods-fashion-mnist.json lists it (issue #16's fields first). */
export interface RunResult {
  row: string;
  method: string;
  backbone: string;
  seed: number;
  top1_10k: number | null;
  top1_60k: number | null;
  /** the 60k-label kNN bank's top-1 */
  knnTop1: number | null;
  /** final std of l2-normalised z (healthy ~ 1/sqrt(d), collapsed -> 0) */
  collapseStd: number | null;
  epochs: number;
  imagesSeen: number;
  wallSeconds: number;
  /** the probes' accuracy on their own training rows, beside the test accuracy */
  trainTop1_10k: number | null;
  trainTop1_60k: number | null;
  knnTop1_10k: number | null;
  imagesPerSecond: number;
  batchSize: number;
}

export interface RunRecord {
  table: string;
  data: DataSizes;
  command: string;
  /** trainingMachine() of the service that trained it; null when it was not ours (--url) */
  machine: string | null;
  jobId: string;
  config: Record<string, unknown>;
  result: RunResult;
  /** epoch-end points: loss, collapse std of z, the kNN monitor */
  series: Array<{ epoch: number; loss: number | null; zStd: number | null; knnTop1: number | null }>;
}

type Scores = Partial<Record<'top1' | 'trainTop1' | 'knnTop1', number | null>>;

export interface BaselinesRecord {
  backbone: string;
  data: DataSizes;
  seed: number;
  jobId: string;
  fewLabels: Record<string, Scores>;
  allLabels: Record<string, Scores>;
}

/** What bench/reference/method_train.py prints: the PyTorch run of a row's job with the service's probes. */
export interface ReferenceResult {
  method: string;
  backbone: string;
  seed: number;
  top1_10k: number | null;
  trainTop1_10k: number | null;
  top1_60k: number | null;
  trainTop1_60k: number | null;
  knnTop1: number | null;
  collapseStd: number | null;
  epochs: number;
  wallSeconds: number;
  imagesPerSecond: number | null;
  threads: number;
  torch: string;
  [more: string]: unknown;
}

/** One PyTorch reference run of a row (reference.ts). */
export interface ReferenceRecord {
  table: string;
  row: string;
  seed: number;
  data: DataSizes;
  command: string;
  machine: string;
  /** the resolved job config it trained with */
  config: Record<string, unknown>;
  result: ReferenceResult;
}

export const recordFile = (dir: string, row: string, seed: number) => path.join(dir, `${row}-s${seed}.json`);
export const referenceFile = (dir: string, row: string, seed: number) => path.join(dir, `reference-${row}-s${seed}.json`);
export const baselinesFile = (dir: string, backbone: string) => path.join(dir, `baselines-${backbone}.json`);

const round = (x: unknown, digits = 4) => (typeof x === 'number' && Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : null);
const num = (x: unknown) => (typeof x === 'number' ? x : null);

export function summarise(run: {
  table: string;
  row: string;
  seed: number;
  data: DataSizes;
  command: string;
  machine: string | null;
  finished: FinishedJob;
  few: EvaluationView;
  all: EvaluationView;
}): RunRecord {
  const { job, metrics, wallSeconds } = run.finished;
  const config = job.config;
  const progress = (job.progress ?? {}) as Record<string, unknown>;
  const batchSize = Number(config.batchSize);
  const epochs = Number(config.epochs);
  const imagesSeen = Number(progress.step) * batchSize || epochs * run.data.trainImages;
  const series = metrics
    .filter((m) => m.values.epochEnd === true)
    .sort((a, b) => a.step - b.step)
    .map((m) => ({ epoch: m.epoch, loss: round(m.values.epochLoss ?? m.values.loss), zStd: round(m.values.zStd), knnTop1: round(m.values.knnTop1) }));
  return {
    table: run.table,
    data: run.data,
    command: run.command,
    machine: run.machine,
    jobId: job.id,
    config,
    result: {
      row: run.row,
      method: String(config.method),
      backbone: String(config.backbone),
      seed: run.seed,
      top1_10k: round(run.few.top1),
      top1_60k: round(run.all.top1),
      knnTop1: round(run.all.knnTop1),
      collapseStd: round(num(progress.zStd)),
      epochs,
      imagesSeen,
      wallSeconds: round(wallSeconds, 1)!,
      trainTop1_10k: round(run.few.trainTop1),
      trainTop1_60k: round(run.all.trainTop1),
      knnTop1_10k: round(run.few.knnTop1),
      imagesPerSecond: round(imagesSeen / wallSeconds, 1)!,
      batchSize,
    },
    series,
  };
}

export interface Spread {
  mean: number;
  /** sample standard deviation over the seeds; null with one seed */
  std: number | null;
  seeds: number;
}

export function spread(values: Array<number | null>): Spread | null {
  const xs = values.filter((x): x is number => x !== null);
  if (!xs.length) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : null;
  return { mean: round(mean)!, std: std === null ? null : round(std), seeds: xs.length };
}

const SPREAD_FIELDS = ['top1_10k', 'top1_60k', 'knnTop1', 'collapseStd', 'trainTop1_10k', 'trainTop1_60k', 'wallSeconds', 'imagesPerSecond'] as const;

export interface TableResults {
  title: string;
  /** every run, in row then seed order */
  runs: Array<RunResult & { machine: string | null }>;
  /** per row: the mean and std over its seeds */
  rows: Array<{ row: string; claim: string | null; seeds: number[] } & Record<(typeof SPREAD_FIELDS)[number], Spread | null>>;
  baselines: { rawPixels10k: number | null; rawPixels60k: number | null; randomInit10k: number | null; byBackbone: Record<string, { rawPixels10k: number | null; rawPixels60k: number | null; randomInit10k: number | null; rawPixelsTrain10k: number | null; rawPixelsTrain60k: number | null }> };
  /** per row with a PyTorch reference run: its mean and std over seeds, and the service's row mean minus it */
  references: ReferenceRow[];
  data: DataSizes;
  commands: string[];
  /** rows of the table with no run recorded yet */
  missing: string[];
}

const REFERENCE_FIELDS = ['top1_10k', 'top1_60k', 'knnTop1', 'trainTop1_10k', 'trainTop1_60k'] as const;

export type ReferenceRow = { row: string; seeds: number[]; machines: string[]; gap_10k: number | null; gap_60k: number | null } & Record<(typeof REFERENCE_FIELDS)[number], Spread | null>;

export interface Records {
  runs: RunRecord[];
  baselines: BaselinesRecord[];
  references: ReferenceRecord[];
}

/** Every record in a folder: runs, per-backbone baselines and PyTorch reference runs. */
export function readRecords(dir: string): Records {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
  const read: Records = { runs: [], baselines: [], references: [] };
  for (const f of files) {
    const parsed = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    if (f.startsWith('baselines-')) read.baselines.push(parsed as BaselinesRecord);
    else if (f.startsWith('reference-')) read.references.push(parsed as ReferenceRecord);
    else read.runs.push(parsed as RunRecord);
  }
  return read;
}

const gap = (service: Spread | null, reference: Spread | null) => (service && reference ? round(service.mean - reference.mean) : null);

/** The table from its records; refuses records made on other data. */
export function tableResults(table: TableSpec, { runs, baselines, references }: Records): TableResults {
  const data = runs[0]?.data ?? baselines[0]?.data ?? references[0]?.data;
  if (!data) throw new Error(`no records for ${table.title}`);
  for (const r of [...runs, ...baselines, ...references]) {
    if (!isDeepStrictEqual(r.data, data)) throw new Error(`records made on different data (${JSON.stringify(r.data)} vs ${JSON.stringify(data)})`);
  }
  const order = (row: string) => table.rows.findIndex((r) => r.name === row);
  runs = [...runs].sort((a, b) => order(a.result.row) - order(b.result.row) || a.result.seed - b.result.seed);
  const byBackbone = Object.fromEntries(
    baselines.map((b) => [
      b.backbone,
      {
        rawPixels10k: round(b.fewLabels['raw-pixels']?.top1),
        rawPixels60k: round(b.allLabels['raw-pixels']?.top1),
        randomInit10k: round(b.fewLabels['random-init']?.top1),
        rawPixelsTrain10k: round(b.fewLabels['raw-pixels']?.trainTop1),
        rawPixelsTrain60k: round(b.allLabels['raw-pixels']?.trainTop1),
      },
    ]),
  );
  const main = byBackbone[table.backbone] ?? Object.values(byBackbone)[0];
  const rows = table.rows
    .filter((row) => runs.some((r) => r.result.row === row.name))
    .map((row) => {
      const own = runs.filter((r) => r.result.row === row.name).map((r) => r.result);
      const spreads = Object.fromEntries(SPREAD_FIELDS.map((field) => [field, spread(own.map((r) => r[field]))])) as Record<(typeof SPREAD_FIELDS)[number], Spread | null>;
      return { row: row.name, claim: row.claim ?? null, seeds: own.map((r) => r.seed), ...spreads };
    });
  const referenceRows = table.rows
    .filter((row) => references.some((r) => r.row === row.name))
    .map((row): ReferenceRow => {
      const own = references.filter((r) => r.row === row.name).sort((a, b) => a.seed - b.seed);
      const spreads = Object.fromEntries(REFERENCE_FIELDS.map((field) => [field, spread(own.map((r) => r.result[field]))])) as Record<(typeof REFERENCE_FIELDS)[number], Spread | null>;
      const service = rows.find((r) => r.row === row.name);
      return { row: row.name, seeds: own.map((r) => r.seed), machines: [...new Set(own.map((r) => r.machine))], ...spreads, gap_10k: gap(service?.top1_10k ?? null, spreads.top1_10k), gap_60k: gap(service?.top1_60k ?? null, spreads.top1_60k) };
    });
  return {
    title: table.title,
    runs: runs.map((r) => ({ ...r.result, machine: r.machine })),
    rows,
    baselines: { rawPixels10k: main?.rawPixels10k ?? null, rawPixels60k: main?.rawPixels60k ?? null, randomInit10k: main?.randomInit10k ?? null, byBackbone },
    references: referenceRows,
    data,
    commands: [...new Set([...runs, ...references].map((r) => r.command))],
    missing: table.rows.filter((row) => !runs.some((r) => r.result.row === row.name)).map((row) => row.name),
  };
}
