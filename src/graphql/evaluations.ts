// GraphQL for embedding sets and evaluations: `job { embeddingSets evaluations }`, `embeddingSet(id)`,
// `evaluation(id)`. An extension of the base schema over the same domain functions as REST, with the
// same tenant rules and error codes.
import type { IResolvers, MercuriusContext } from 'mercurius';
import type { Services } from '../services.ts';
import { embeddingSetView, getEmbeddingSet, jobEmbeddingSets } from '../domain/embeddings.ts';
import { evaluationView, getEvaluation, jobEvaluations } from '../domain/evaluations.ts';
import { tenantIdOf } from './auth.ts';
import { guarded } from './errors.ts';

export const evaluationTypeDefs = /* GraphQL */ `
  enum TaskStatus {
    queued
    running
    succeeded
    failed
  }

  "Frozen-backbone embeddings of one dataset under one checkpoint; vectors via REST /v1/embeddings/{id}/vectors."
  type EmbeddingSet {
    id: ID!
    status: TaskStatus!
    jobId: ID!
    checkpointId: ID!
    datasetId: ID!
    count: Int
    dim: Int
    error: JobError
    createdAt: DateTime!
    startedAt: DateTime
    finishedAt: DateTime
  }

  type ProbeScores {
    top1: Float!
    top5: Float!
    knnTop1: Float
    featureDim: Int
  }

  type EvaluationBaselines {
    randomInit: ProbeScores
    rawPixels: ProbeScores
  }

  "A linear-probe evaluation (plus kNN top-1) of a checkpoint's frozen features."
  type Evaluation {
    id: ID!
    status: TaskStatus!
    jobId: ID!
    checkpointId: ID!
    trainDatasetId: ID!
    "null when the train dataset was split"
    testDatasetId: ID
    splitFraction: Float
    seed: Int!
    "the label budget: the probe trained on this many train images; null = all"
    trainLabels: Int
    top1: Float
    "the probe's top-1 on its own train rows"
    trainTop1: Float
    top5: Float
    knnTop1: Float
    baselines: EvaluationBaselines
    "trainTop1, numClasses, trainCount, testCount, featureDim"
    details: JSON
    recipe: JSON
    "milliseconds per phase"
    timings: JSON
    error: JobError
    createdAt: DateTime!
    startedAt: DateTime
    finishedAt: DateTime
  }

  extend type Job {
    "newest first"
    embeddingSets: [EmbeddingSet!]!
    "newest first"
    evaluations: [Evaluation!]!
  }

  extend type Query {
    embeddingSet(id: ID!): EmbeddingSet
    evaluation(id: ID!): Evaluation
  }
`;

type Baselines = NonNullable<ReturnType<typeof evaluationView>['baselines']>;

export function evaluationResolvers({ db, apiKeys }: Services): IResolvers {
  return {
    Query: {
      embeddingSet: guarded(async (_: unknown, args: { id: string }, ctx: MercuriusContext) =>
        embeddingSetView(await getEmbeddingSet(db, await tenantIdOf(apiKeys, ctx), args.id)),
      ),
      evaluation: guarded(async (_: unknown, args: { id: string }, ctx: MercuriusContext) =>
        evaluationView(await getEvaluation(db, await tenantIdOf(apiKeys, ctx), args.id)),
      ),
    },
    Job: {
      // the parent job was already resolved under the caller's tenant
      embeddingSets: guarded(async (job: { id: string }) => jobEmbeddingSets(db, job.id)),
      evaluations: guarded(async (job: { id: string }) => jobEvaluations(db, job.id)),
    },
    EvaluationBaselines: {
      randomInit: (b: Baselines) => b['random-init'] ?? null,
      rawPixels: (b: Baselines) => b['raw-pixels'] ?? null,
    },
  };
}
