// `simsiam jobs ls|show` and `simsiam cancel JOB`.
import { Command, Option } from 'commander';
import { unwrap, type Connection } from './api.ts';
import { positiveInt, withContext } from './context.ts';
import { emit, table } from './output.ts';
import { jobSummary, progressOf, progressText } from './jobProgress.ts';

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

export async function getJob(conn: Connection, id: string) {
  return unwrap(conn, conn.client.GET('/v1/jobs/{id}', { params: { path: { id } } }));
}

const methodOf = (config: unknown) => {
  const c = (config ?? {}) as { method?: string; backbone?: string };
  return `${c.method ?? '?'}/${c.backbone ?? '?'}`;
};

const list = new Command('ls')
  .description('list jobs, newest first')
  .addOption(new Option('--status <status>', 'only jobs in this status').choices(STATUSES))
  .option('--dataset <id>', 'only jobs on this dataset')
  .option('--limit <n>', 'at most this many (1-100)', positiveInt('--limit'), 20)
  .action(
    withContext(async (ctx, opts: { status?: (typeof STATUSES)[number]; dataset?: string; limit: number }) => {
      const conn = await ctx.connection();
      const page = await unwrap(conn, conn.client.GET('/v1/jobs', { params: { query: { status: opts.status, datasetId: opts.dataset, limit: opts.limit } } }));
      emit(ctx.out, page, () =>
        page.items.length
          ? table([
              ['ID', 'STATUS', 'METHOD/BACKBONE', 'PROGRESS', 'CREATED'],
              ...page.items.map((j) => [j.id, j.status, methodOf(j.config), progressText(progressOf(j)), j.createdAt]),
            ])
          : 'no jobs',
      );
    }),
  );

const show = new Command('show')
  .description("a job's status, config and latest progress")
  .argument('<job>')
  .action(
    withContext(async (ctx, id: string) => {
      const job = await getJob(await ctx.connection(), id);
      emit(ctx.out, job, () =>
        [
          jobSummary(job),
          `  dataset ${job.datasetId}, ${methodOf(job.config)}, ${(job.config as { epochs?: number }).epochs ?? '?'} epochs`,
          `  created ${job.createdAt}${job.startedAt ? `, started ${job.startedAt}` : ''}${job.finishedAt ? `, finished ${job.finishedAt}` : ''}`,
        ].join('\n'),
      );
    }),
  );

export function jobsCommand(): Command {
  return new Command('jobs').description('list and inspect training jobs').addCommand(list).addCommand(show);
}

export function cancelCommand(): Command {
  return new Command('cancel')
    .description('cancel a queued or running job')
    .argument('<job>')
    .action(
      withContext(async (ctx, id: string) => {
        const conn = await ctx.connection();
        const job = await unwrap(conn, conn.client.POST('/v1/jobs/{id}/cancel', { params: { path: { id } } }));
        // a running job is asked to stop; its worker confirms at its next check
        emit(ctx.out, job, job.status === 'cancelled' ? `${job.id} cancelled` : `${job.id}: cancel requested; its worker stops it shortly`);
      }),
    );
}
