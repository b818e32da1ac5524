// GraphQL for experiments: `experiment(id)` (the same live table as GET /v1/experiments/:id) and
// `experimentUpdated(id)`, pushed whenever the experiment or one of its jobs changes.
import type { IResolvers, MercuriusContext } from 'mercurius';
import type { Services } from '../services.ts';
import { type ExperimentView, readExperiment } from '../domain/experiments.ts';
import { tenantIdOf } from './auth.ts';
import { guarded } from './errors.ts';
import { takeSubscriptionSlot } from './limits.ts';
import { liveStream } from './liveStream.ts';

export const experimentTypeDefs = /* GraphQL */ `
  type MeanStd {
    mean: Float!
    std: Float!
    n: Int!
  }

  type ExperimentMetrics {
    linearTop1: MeanStd
    knnTop1: MeanStd
    collapseStd: MeanStd
    wallSeconds: MeanStd
    imagesPerSecond: MeanStd
  }

  "One run x seed: its job, its probe, and the figures compared."
  type ExperimentRow {
    name: String!
    seed: Int!
    method: String
    backbone: String
    "queued, running, probing, succeeded, failed or cancelled"
    status: String!
    linearTop1: Float
    knnTop1: Float
    collapseStd: Float
    wallSeconds: Float
    imagesPerSecond: Float
    jobId: ID!
    evaluationId: ID
  }

  "Mean and std over the seeds of one run name (succeeded rows only)."
  type ExperimentRunSummary {
    name: String!
    seeds: Int!
    finished: Int!
    metrics: ExperimentMetrics!
  }

  type Experiment {
    id: ID!
    "running or finished"
    status: String!
    datasetId: ID!
    evalDatasetId: ID
    runs: JSON!
    seeds: [Int!]
    probe: JSON!
    rows: [ExperimentRow!]!
    summary: [ExperimentRunSummary!]!
    finishedRows: Int!
    createdAt: DateTime!
    updatedAt: DateTime!
    finishedAt: DateTime
  }

  extend type Query {
    experiment(id: ID!): Experiment
  }

  extend type Subscription {
    "the experiment now, then again whenever it or one of its jobs changes; completes once every row is final"
    experimentUpdated(id: ID!): Experiment!
  }
`;

const everyRowFinal = (e: ExperimentView) => e.finishedRows === e.rows.length;

export function experimentResolvers(services: Services): IResolvers {
  const { apiKeys } = services;
  return {
    Query: {
      experiment: guarded(async (_: unknown, args: { id: string }, ctx: MercuriusContext) => readExperiment(services, await tenantIdOf(apiKeys, ctx), args.id)),
    },
    Subscription: {
      experimentUpdated: {
        subscribe: guarded(async (_: unknown, args: { id: string }, ctx: MercuriusContext) => {
          const release = takeSubscriptionSlot(ctx.subscriptionSlots);
          try {
            const tenantId = await tenantIdOf(apiKeys, ctx);
            const first = await readExperiment(services, tenantId, args.id);
            const load = () => readExperiment(services, tenantId, args.id);
            return await liveStream(services, { ids: [args.id, ...first.rows.map((r) => r.jobId)], load, fingerprint: (e) => JSON.stringify(e), isFinal: everyRowFinal }, release);
          } catch (err) {
            release();
            throw err;
          }
        }),
        resolve: (experiment: ExperimentView) => experiment,
      },
    },
  };
}
