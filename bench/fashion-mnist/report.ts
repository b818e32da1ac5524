// Everything a run of the benchmark collected, as issue #6's results JSON (exactly its schema), a
// Markdown table and the three plots: loss, collapse std of z and p against 1/√d, kNN per epoch.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EvaluationView, FinishedJob } from './jobs.ts';
import { PALETTE, writeChartPng, type Series } from './plots.ts';

export interface RunRecord {
  name: string;
  finished: FinishedJob;
  probe: EvaluationView;
  /** trainingMachine() where it trained; absent in records made before it was kept */
  machine?: string;
}

export interface ReferenceResult {
  top1: number;
  knnTop1: number;
  epochs: number;
  wallSeconds: number;
  imagesPerSecond: number | null;
  machine?: string;
  [key: string]: unknown;
}

export interface Results {
  projectorDim: number;
  runs: Array<{ name: string; top1: number; knnTop1: number | null; collapseStd: number; epochs: number; batchSize: number; wallSeconds: number; machine: string | null }>;
  baselines: { rawPixels: number | null; randomInit: number | null };
  reference: { top1: number; epochs: number; machine: string | null } | null;
  /** the machine that assembled the table; each run names the one it trained on */
  machine: Record<string, unknown>;
  commands: string[];
  /** a partial table (publish.ts --partial): the runs, or the reference, not recorded yet */
  missing?: string[];
}

export function machineInfo(backend: string | null | undefined): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    serviceBackend: backend ?? 'unknown',
    loadAverage1m: Number(os.loadavg()[0].toFixed(2)),
  };
}

/**
 * Where a run trains, as a label: runs published as one table may come from different machines
 * (wall times are only comparable on the same CPU, vector ISA and thread count).
 */
export function trainingMachine(threads: number): string {
  let isa = 'unknown ISA';
  try {
    const flags = fs.readFileSync('/proc/cpuinfo', 'utf8');
    isa = /\bavx512f\b/.test(flags) ? 'AVX-512' : /\bavx2\b/.test(flags) ? 'AVX2' : 'no AVX2';
  } catch {
    // not Linux: the label says the ISA is unknown
  }
  return `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${isa}, ${os.cpus().length} cores, ${threads} thread${threads === 1 ? '' : 's'}`;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

export function collectResults(runs: RunRecord[], reference: ReferenceResult | null, commands: string[]): Results {
  const withBaselines = runs.find((r) => r.probe.baselines && Object.keys(r.probe.baselines).length);
  const base = withBaselines?.probe.baselines ?? {};
  return {
    projectorDim: Number(runs[0]?.finished.job.config.projectorDim),
    runs: runs.map(({ name, finished, probe, machine }) => ({
      name,
      top1: round(probe.top1!),
      knnTop1: probe.knnTop1 == null ? null : round(probe.knnTop1),
      // the final std of l2-normalised z (healthy ~ 1/sqrt(d), collapsed -> 0)
      collapseStd: round(Number(finished.job.progress?.zStd)),
      epochs: Number(finished.job.config.epochs),
      batchSize: Number(finished.job.config.batchSize),
      wallSeconds: round(finished.wallSeconds, 1),
      machine: machine ?? null,
    })),
    baselines: { rawPixels: base['raw-pixels'] ? round(base['raw-pixels'].top1) : null, randomInit: base['random-init'] ? round(base['random-init'].top1) : null },
    reference: reference ? { top1: round(reference.top1), epochs: reference.epochs, machine: reference.machine ?? null } : null,
    machine: machineInfo(runs[0]?.finished.job.backend),
    commands,
  };
}

const cell = (x: number | null | undefined, digits = 3) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');

export function markdownTable(results: Results, reference: ReferenceResult | null): string {
  const healthy = 1 / Math.sqrt(results.projectorDim);
  const lines = [
    `| run | linear top-1 | kNN top-1 | final z std (1/√d = ${healthy.toFixed(4)}) | epochs | batch | wall | trained on |`,
    '|---|---|---|---|---|---|---|---|',
    ...results.runs.map((r) => `| ${r.name} | ${cell(r.top1)} | ${cell(r.knnTop1)} | ${cell(r.collapseStd, 4)} | ${r.epochs} | ${r.batchSize} | ${Math.round(r.wallSeconds)} s | ${r.machine ?? 'not recorded'} |`),
    `| raw pixels (baseline) | ${cell(results.baselines.rawPixels)} | | | | | | |`,
    `| random-init backbone (baseline) | ${cell(results.baselines.randomInit)} | | | | | | |`,
  ];
  if (reference) {
    lines.push(`| PyTorch reference (simsiam) | ${cell(reference.top1)} | ${cell(reference.knnTop1)} | ${cell(reference.collapseStd as number, 4)} | ${reference.epochs} | | ${Math.round(reference.wallSeconds)} s | ${reference.machine ?? 'not recorded'} |`);
  }
  if (results.missing?.length) lines.push('', `Not run yet: ${results.missing.join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

/** Steps as fractional epochs, so runs with different batch sizes share an x axis. */
function series(run: RunRecord, key: string, color: string, opts: { epochEndOnly?: boolean; label?: string; dashed?: boolean } = {}): Series {
  const perEpoch = Number(run.finished.job.progress?.stepsPerEpoch) || 1;
  const points = run.finished.metrics
    .filter((m) => !opts.epochEndOnly || m.values.epochEnd === true)
    .map((m): [number, number] => [m.step / perEpoch, Number(m.values[key])])
    .filter(([, y]) => Number.isFinite(y));
  return { label: opts.label ?? run.name, points, color, dashed: opts.dashed };
}

export async function writePlots(dir: string, runs: RunRecord[], projectorDim: number): Promise<string[]> {
  const color = (i: number) => PALETTE[i % PALETTE.length];
  const files = ['loss.png', 'collapse-std.png', 'knn.png'].map((f) => path.join(dir, f));
  await writeChartPng(files[0], {
    title: 'SimSiam loss (negative cosine, −1 = perfect agreement)',
    xLabel: 'epoch',
    yLabel: 'loss',
    series: runs.map((r, i) => series(r, 'loss', color(i))),
  });
  await writeChartPng(files[1], {
    title: 'Collapse monitor: std of l2-normalised z (solid) and p (dashed)',
    xLabel: 'epoch',
    yLabel: 'std per channel',
    series: runs.flatMap((r, i) => [series(r, 'zStd', color(i), { label: `${r.name} z` }), series(r, 'pStd', color(i), { label: `${r.name} p`, dashed: true })]),
    marks: [{ label: `1/√d = ${(1 / Math.sqrt(projectorDim)).toFixed(4)}`, y: 1 / Math.sqrt(projectorDim) }],
    yMin: 0,
  });
  await writeChartPng(files[2], {
    title: 'kNN top-1 (monitor subset) at the end of each epoch',
    xLabel: 'epoch',
    yLabel: 'kNN top-1',
    series: runs.map((r, i) => series(r, 'knnTop1', color(i), { epochEndOnly: true })),
  });
  return files;
}

export function writeReport(dir: string, results: Results, reference: ReferenceResult | null): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files = { results: path.join(dir, 'results.json'), table: path.join(dir, 'results.md') };
  fs.writeFileSync(files.results, `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(files.table, markdownTable(results, reference));
  return Object.values(files);
}
