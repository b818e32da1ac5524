// `simsiam probe JOB --train DS --test DS`: a linear probe (and kNN) of the job's frozen features,
// beside the same probe on an untrained backbone and on raw pixels, printed as a table.
import { Command } from 'commander';
import type { components } from '../client/index.ts';
import { unwrap } from './api.ts';
import { withContext } from './context.ts';
import { usageError } from './exitCodes.ts';
import { emit, fixed, table } from './output.ts';
import { succeededTask } from './tasks.ts';

type Evaluation = components['schemas']['Evaluation'];
type ProbeRequest = components['schemas']['LinearProbeRequest'];
type Baseline = 'random-init' | 'raw-pixels';
const BASELINES: Baseline[] = ['random-init', 'raw-pixels'];

interface ProbeOptions {
  train: string;
  test?: string;
  split?: string;
  checkpoint?: string;
  /** false with --no-baselines */
  baselines: string | false;
}

function baselinesOf(raw: string | false): Baseline[] {
  if (raw === false) return [];
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !BASELINES.includes(n as Baseline));
  if (bad.length) throw usageError(`unknown baseline(s) ${bad.join(', ')}: choose from ${BASELINES.join(', ')}`);
  return names as Baseline[];
}

function probeRequest(opts: ProbeOptions): ProbeRequest {
  const common = { baselines: baselinesOf(opts.baselines), ...(opts.checkpoint ? { checkpoint: opts.checkpoint } : {}) };
  if (opts.test) {
    if (opts.split !== undefined) throw usageError('--split applies only without --test');
    return { trainDatasetId: opts.train, testDatasetId: opts.test, ...common };
  }
  const splitFraction = opts.split === undefined ? undefined : Number(opts.split);
  if (splitFraction !== undefined && !(splitFraction > 0 && splitFraction < 1)) throw usageError(`--split must be between 0 and 1, got ${opts.split}`);
  return { datasetId: opts.train, splitFraction, ...common };
}

function resultTable(e: Evaluation): string {
  const details = (e.details ?? {}) as { numClasses?: number; trainCount?: number; testCount?: number; featureDim?: number };
  const rows = [['FEATURES', 'TOP-1', 'TOP-5', 'KNN TOP-1'], [`trained (${e.jobId})`, fixed(e.top1), fixed(e.top5), fixed(e.knnTop1)]];
  for (const [name, s] of Object.entries(e.baselines ?? {})) if (s) rows.push([name, fixed(s.top1), fixed(s.top5), fixed(s.knnTop1)]);
  const on = e.testDatasetId ? `${e.trainDatasetId} -> ${e.testDatasetId}` : `${e.trainDatasetId} split ${e.splitFraction}`;
  return [`linear probe ${e.id} on ${on}: ${details.trainCount} train / ${details.testCount} test images, ${details.numClasses} classes, ${details.featureDim} features`, table(rows)].join('\n');
}

export function probeCommand(): Command {
  return new Command('probe')
    .description("linear-probe a job's features on labeled data and print the accuracy table")
    .argument('<job>')
    .requiredOption('--train <dataset>', 'labeled dataset to fit the probe on')
    .option('--test <dataset>', 'labeled dataset to score it on (default: split --train)')
    .option('--split <fraction>', 'without --test: the fraction of --train to fit on (default 0.8)')
    .option('--checkpoint <id>', 'a checkpoint of the job (default: the final one)')
    .option('--baselines <list>', `compare with: ${BASELINES.join(',')}`, BASELINES.join(','))
    .option('--no-baselines', 'probe the trained features only')
    .action(
      withContext(async (ctx, jobId: string, opts: ProbeOptions) => {
        const body = probeRequest(opts);
        const conn = await ctx.connection();
        const started = await unwrap(conn, conn.client.POST('/v1/jobs/{id}/linear-probe', { params: { path: { id: jobId } }, body }));
        const evaluation = await succeededTask(ctx.out, 'evaluation', () =>
          unwrap(conn, conn.client.GET('/v1/evaluations/{id}', { params: { path: { id: started.id } } })),
        );
        if (evaluation) emit(ctx.out, evaluation, () => resultTable(evaluation));
      }),
    );
}
