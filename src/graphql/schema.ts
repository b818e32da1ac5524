// The GraphQL contract: the same jobs and datasets as REST, read-only, plus live job updates.
export const typeDefs = /* GraphQL */ `
  "Arbitrary JSON (training config, progress, metric values)."
  scalar JSON
  "ISO-8601 timestamp in UTC."
  scalar DateTime

  enum JobStatus {
    queued
    running
    succeeded
    failed
    cancelled
  }

  type JobError {
    code: String!
    message: String!
  }

  type MetricPoint {
    epoch: Int!
    step: Int!
    values: JSON!
    createdAt: DateTime!
  }

  "a signal leaving its recent trend (the seed's ViT 'dips'); see config dipWindowSteps, dipLossRise, dipStdDrop, dipKnnDrop"
  type Dip {
    "loss, zStd or knnTop1"
    signal: String!
    step: Int!
    "null: the loss was not finite"
    value: Float
    trend: Float!
    "past the trend as a share of its magnitude (loss, zStd) or in top-1 points (knnTop1)"
    depth: Float
    "depth over its threshold; null (a diverged loss) ranks worst"
    severity: Float
  }

  type DipSummary {
    count: Int!
    worst: Dip
  }

  type Checkpoint {
    id: ID!
    epoch: Int!
    step: Int!
    "bytes; Float because checkpoints can outgrow a 32-bit Int"
    sizeBytes: Float!
    metrics: JSON
    isFinal: Boolean!
    createdAt: DateTime!
  }

  type Job {
    id: ID!
    status: JobStatus!
    datasetId: ID!
    "the training method (config.method): simsiam, or another of the methods the service offers"
    method: String!
    "the backbone (config.backbone)"
    backbone: String!
    "the training config with every default filled"
    config: JSON!
    "the latest progress a worker reported"
    progress: JSON
    "dips seen so far (each is also an event on its metric point: values.events)"
    dips: DipSummary!
    error: JobError
    attempts: Int!
    backend: String
    workerId: String
    resumedFromEpoch: Int
    cancelRequestedAt: DateTime
    createdAt: DateTime!
    updatedAt: DateTime!
    startedAt: DateTime
    finishedAt: DateTime
    "the newest 'last' metric points (1-10000), oldest first"
    metrics(last: Int = 100): [MetricPoint!]!
    checkpoints: [Checkpoint!]!
  }

  type JobPage {
    items: [Job!]!
    nextCursor: String
  }

  type LabelCount {
    label: String!
    count: Int!
  }

  type Dataset {
    id: ID!
    name: String!
    description: String
    imageCount: Int!
    "images per label, most frequent first; unlabeled images are counted in unlabeledCount"
    labels: [LabelCount!]!
    unlabeledCount: Int!
    createdAt: DateTime!
    updatedAt: DateTime!
  }

  type DatasetPage {
    items: [Dataset!]!
    nextCursor: String
  }

  type Query {
    job(id: ID!): Job
    "newest first; limit 1-100"
    jobs(status: JobStatus, datasetId: ID, limit: Int = 20, cursor: String): JobPage!
    dataset(id: ID!): Dataset
    "newest first; limit 1-100"
    datasets(limit: Int = 20, cursor: String): DatasetPage!
  }

  type Subscription {
    "the job now, then again whenever its status, progress or error changes; completes once it is finished"
    jobUpdated(id: ID!): Job!
  }
`;
