// The comparison table of an experiment: one row per run x seed from its job and evaluation as they
// are now (so the table is live), and per run name the mean and std over its seeds.

export const ROW_STATUSES = ['queued', 'running', 'probing', 'succeeded', 'failed', 'cancelled'] as const;
export type RowStatus = (typeof ROW_STATUSES)[number];

export interface RowSources {
  name: string;
  seed: number;
  jobId: string;
  evaluationId: string | null;
  job: { status: string; config: unknown; progress: unknown; startedAt: Date | null; finishedAt: Date | null } | null;
  evaluation: { status: string; results: unknown } | null;
}

export interface TableRow {
  name: string;
  seed: number;
  method: string | null;
  backbone: string | null;
  status: RowStatus;
  linearTop1: number | null;
  knnTop1: number | null;
  collapseStd: number | null;
  wallSeconds: number | null;
  imagesPerSecond: number | null;
  jobId: string;
  evaluationId: string | null;
}

const METRICS = ['linearTop1', 'knnTop1', 'collapseStd', 'wallSeconds', 'imagesPerSecond'] as const;
type Metric = (typeof METRICS)[number];

export interface MeanStd {
  mean: number;
  std: number;
  n: number;
}

export interface RunSummary {
  name: string;
  seeds: number;
  finished: number;
  metrics: Record<Metric, MeanStd | null>;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function rowStatus(s: RowSources): RowStatus {
  if (!s.job) return 'failed';
  if (s.job.status !== 'succeeded') return s.job.status as RowStatus;
  if (!s.evaluation) return 'probing';
  if (s.evaluation.status === 'succeeded') return 'succeeded';
  return s.evaluation.status === 'failed' ? 'failed' : 'probing';
}

export function tableRow(s: RowSources): TableRow {
  const config = (s.job?.config ?? {}) as Record<string, unknown>;
  const progress = (s.job?.progress ?? {}) as Record<string, unknown>;
  const results = (s.evaluation?.status === 'succeeded' ? s.evaluation.results : null) as Record<string, unknown> | null;
  const { startedAt, finishedAt } = s.job ?? {};
  return {
    name: s.name,
    seed: s.seed,
    method: typeof config.method === 'string' ? config.method : s.job ? 'simsiam' : null,
    backbone: typeof config.backbone === 'string' ? config.backbone : null,
    status: rowStatus(s),
    linearTop1: num(results?.top1),
    knnTop1: num(results?.knnTop1),
    // the std of the l2-normalised outputs at the last report (healthy runs sit near 1/sqrt(d))
    collapseStd: num(progress.zStd),
    wallSeconds: startedAt && finishedAt ? (finishedAt.getTime() - startedAt.getTime()) / 1000 : null,
    imagesPerSecond: num(progress.imagesPerSecond),
    jobId: s.jobId,
    evaluationId: s.evaluationId,
  };
}

/** Mean and sample std (n - 1; 0 for one value) of the values present. */
export function meanStd(values: Array<number | null>): MeanStd | null {
  const xs = values.filter((v): v is number => v !== null);
  if (!xs.length) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std, n: xs.length };
}

const FINAL: ReadonlySet<RowStatus> = new Set(['succeeded', 'failed', 'cancelled']);
export const isFinalRow = (row: TableRow) => FINAL.has(row.status);

/** Per run name, in the order the runs were given. */
export function summarise(rows: TableRow[]): RunSummary[] {
  const names = [...new Set(rows.map((r) => r.name))];
  return names.map((name) => {
    const own = rows.filter((r) => r.name === name);
    const done = own.filter((r) => r.status === 'succeeded');
    return {
      name,
      seeds: own.length,
      finished: own.filter(isFinalRow).length,
      metrics: Object.fromEntries(METRICS.map((m) => [m, meanStd(done.map((r) => r[m]))])) as Record<Metric, MeanStd | null>,
    };
  });
}
