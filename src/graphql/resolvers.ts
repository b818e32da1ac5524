// Resolvers: thin adapters from GraphQL arguments to the same tenant-scoped domain functions REST
// uses, so both APIs see the same data under the same rules.
import type { IResolvers, MercuriusContext } from 'mercurius';
import type { Job } from '../generated/prisma/client.ts';
import type { Services } from '../services.ts';
import { errors } from '../errors/catalogue.ts';
import { jobCheckpoints, jobView, latestMetrics, listJobs, type JobStatus } from '../domain/jobs.ts';
import { describeDataset, getDataset, listDatasets } from '../domain/datasets.ts';
import { tenantIdOf } from './auth.ts';
import { guarded } from './errors.ts';
import { jobUpdates } from './jobUpdates.ts';
import { takeSubscriptionSlot } from './limits.ts';
import { DateTimeScalar, JSONScalar } from './scalars.ts';

declare module 'mercurius' {
  interface MercuriusContext {
    datasetStats?: Map<string, Promise<DatasetStats>>;
  }
}
type DatasetStats = { imageCount: number; unlabeledCount: number; labels: Array<{ label: string; count: number }> };
type JobParent = ReturnType<typeof jobView>;
type DatasetParent = { id: string };

function checkLimit(value: number, max: number, name = 'limit'): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw errors.INVALID_ARGUMENT(name, max).with([{ field: name, message: `must be 1-${max}` }]);
  }
  return value;
}

export function createResolvers(services: Services): IResolvers {
  const { db, apiKeys } = services;
  // count and histogram come from one lookup per dataset per operation, however many fields ask
  const statsOf = (ctx: MercuriusContext, datasetId: string) => {
    ctx.datasetStats ??= new Map();
    let stats = ctx.datasetStats.get(datasetId);
    if (!stats) {
      stats = tenantIdOf(apiKeys, ctx).then(async (tenantId): Promise<DatasetStats> => {
        const described = await describeDataset(db, tenantId, datasetId);
        const labels = Object.entries(described.labels)
          .map(([label, count]) => ({ label, count }))
          .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
        return { imageCount: described.imageCount, unlabeledCount: described.unlabeledCount, labels };
      });
      ctx.datasetStats.set(datasetId, stats);
    }
    return stats;
  };

  return {
    JSON: JSONScalar,
    DateTime: DateTimeScalar,
    Query: {
      job: guarded(async (_: unknown, args: { id: string }, ctx: MercuriusContext) => services.jobViews.read(await tenantIdOf(apiKeys, ctx), args.id)),
      jobs: guarded(
        async (_: unknown, args: { status?: JobStatus; datasetId?: string; limit: number; cursor?: string }, ctx: MercuriusContext) => {
          const tenantId = await tenantIdOf(apiKeys, ctx);
          const page = await listJobs(db, tenantId, {
            limit: checkLimit(args.limit, 100),
            cursor: args.cursor ?? undefined,
            status: args.status ?? undefined,
            datasetId: args.datasetId ?? undefined,
          });
          return { items: page.items.map(jobView), nextCursor: page.nextCursor };
        },
      ),
      dataset: guarded(async (_: unknown, args: { id: string }, ctx: MercuriusContext) => getDataset(db, await tenantIdOf(apiKeys, ctx), args.id)),
      datasets: guarded(async (_: unknown, args: { limit: number; cursor?: string }, ctx: MercuriusContext) =>
        listDatasets(services.pool, await tenantIdOf(apiKeys, ctx), { limit: checkLimit(args.limit, 100), cursor: args.cursor ?? undefined }),
      ),
    },
    Job: {
      // jobs stored before methods existed have no `method` in their config: they are SimSiam jobs
      method: (job: JobParent) => (job.config as { method?: string }).method ?? 'simsiam',
      backbone: (job: JobParent) => (job.config as { backbone: string }).backbone,
      dips: (job: JobParent) => (job.progress as { dips?: unknown } | null)?.dips ?? { count: 0, worst: null },
      metrics: guarded(async (job: JobParent, args: { last: number }) => latestMetrics(db, job.id, checkLimit(args.last, 10_000, 'last'))),
      checkpoints: guarded(async (job: JobParent) => jobCheckpoints(db, job.id)),
    },
    Dataset: {
      imageCount: guarded(async (dataset: DatasetParent, _: unknown, ctx: MercuriusContext) => (await statsOf(ctx, dataset.id)).imageCount),
      labels: guarded(async (dataset: DatasetParent, _: unknown, ctx: MercuriusContext) => (await statsOf(ctx, dataset.id)).labels),
      unlabeledCount: guarded(async (dataset: DatasetParent, _: unknown, ctx: MercuriusContext) => (await statsOf(ctx, dataset.id)).unlabeledCount),
    },
    Subscription: {
      jobUpdated: {
        subscribe: guarded(async (_: unknown, args: { id: string }, ctx: MercuriusContext) => {
          const release = takeSubscriptionSlot(ctx.subscriptionSlots);
          try {
            return await jobUpdates(services, await tenantIdOf(apiKeys, ctx), args.id, release);
          } catch (err) {
            release();
            throw err;
          }
        }),
        resolve: (job: Job) => jobView(job),
      },
    },
  };
}
