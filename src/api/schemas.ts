// The REST contract's shared schemas, registered once with app.addSchema and referenced as
// `{$ref: 'Name#'}` by every route: they validate requests, serialize responses (fast-json-stringify
// keeps only the properties listed here, so free-form objects say additionalProperties: true) and
// become components.schemas of the generated OpenAPI document (openapi/openapi.json).
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../errors/catalogue.ts';
import { JOB_STATUSES } from '../domain/jobs.ts';
import { QUOTA_NAMES } from '../domain/quotas.ts';
import { SCOPES } from '../domain/tenants.ts';
import { BASELINES } from '../domain/evaluations.ts';
import { trainingConfigSchema } from '../domain/trainingConfig.ts';
import { CONTENT_TYPES } from '../ingest/imageProbe.ts';
import { ROW_STATUSES } from '../domain/experimentTable.ts';

const ref = (name: string, description?: string) => (description ? { $ref: `${name}#`, description } : { $ref: `${name}#` });

const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const freeForm = (description: string, nullable = false) => ({ type: nullable ? ['object', 'null'] : 'object', additionalProperties: true, description });
const label = { type: 'string', minLength: 1, maxLength: 200 } as const;

/** An object schema whose every listed property is required. */
const record = (properties: Record<string, object>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  required: Object.keys(properties),
  properties,
  ...extra,
});

/** The object schema `base` plus more (required) properties. */
const extend = (base: { required: string[]; properties: Record<string, object> }, properties: Record<string, object>, description?: string) => ({
  ...base,
  ...(description && { description }),
  required: [...base.required, ...Object.keys(properties)],
  properties: { ...base.properties, ...properties },
});

const page = (item: string, description: string) =>
  record({ items: { type: 'array', items: ref(item) }, nextCursor: ref('NextCursor') }, { description });

const nullableNumber = { type: ['number', 'null'] } as const;
const meanStd = { type: ['object', 'null'], properties: { mean: { type: 'number' }, std: { type: 'number' }, n: { type: 'integer' } } } as const;
const experimentFields = {
  id: { type: 'string' },
  status: { type: 'string', enum: ['running', 'finished'] },
  datasetId: { type: 'string' },
  evalDatasetId: { type: ['string', 'null'] },
  createdAt: timestamp,
  updatedAt: timestamp,
  finishedAt: nullableTimestamp,
} as const;

const Error = record(
  {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: ref('ErrorCode'),
        message: { type: 'string', description: 'for people; may change' },
        details: { description: 'machine-readable specifics: the fields that failed, the quota and its use, counts so far...' },
      },
    },
  },
  { description: 'every error the API answers' },
);

const TaskError = { ...record({ code: { type: 'string' }, message: { type: 'string' } }), type: ['object', 'null'], additionalProperties: true, description: 'why the task failed (null unless failed)' };

const Dataset = record({
  id: { type: 'string', examples: ['ds_3q2x9d0sYk1mB2aP'] },
  name: { type: 'string' },
  description: { type: ['string', 'null'] },
  createdAt: timestamp,
  updatedAt: timestamp,
});

const Job = record(
  {
    id: { type: 'string', examples: ['job_3q2Vd0uXk1mYp7Zr'] },
    status: ref('JobStatus'),
    datasetId: { type: 'string' },
    // free-form here: serializing through the TrainingConfig oneOf would fail on configs stored before
    // a field was renamed; the generated document refers to TrainingConfig (see openapi.ts)
    config: freeForm('the TrainingConfig the job trains with, every default filled in'),
    progress: freeForm('the latest progress the worker reported (epoch, step, loss, throughput...)', true),
    error: TaskError,
    attempts: { type: 'integer', description: 'how many times a worker has started (or resumed) the job' },
    backend: { type: ['string', 'null'], description: 'tfjs backend the worker trains on (tensorflow, wasm, cpu...)' },
    workerId: { type: ['string', 'null'] },
    resumedFromEpoch: { type: ['integer', 'null'], description: 'set when the current attempt resumed from a checkpoint' },
    cancelRequestedAt: nullableTimestamp,
    createdAt: timestamp,
    updatedAt: timestamp,
    startedAt: nullableTimestamp,
    finishedAt: nullableTimestamp,
  },
  { description: 'a training job' },
);

const Quotas = record(
  Object.fromEntries(QUOTA_NAMES.map((q) => [q, { type: 'integer' }])),
  { description: 'a tenant\'s limits: storageBytes (image plus checkpoint bytes), images, datasets, activeJobs (queued plus running), concurrentTasks (queued or running embedding sets and probes), trainingMinutesPerMonth (UTC calendar month)' },
);

const UsageReport = record(
  Object.fromEntries(QUOTA_NAMES.map((q) => [q, record({ used: { type: 'number' }, limit: { type: 'number' } })])),
  { description: 'per quota, what is used and the limit' },
);

const Tenant = record({
  id: { type: 'string', examples: ['ten_3q2x9d0sYk1mB2aP'] },
  name: { type: 'string' },
  createdAt: timestamp,
  quotas: ref('Quotas'),
});

const ApiKey = record({
  id: { type: 'string', examples: ['key_3q2x9d0sYk1mB2aP'] },
  tenantId: { type: 'string' },
  name: { type: 'string' },
  scopes: { type: 'array', items: ref('Scope') },
  createdAt: timestamp,
  expiresAt: nullableTimestamp,
  revokedAt: nullableTimestamp,
  lastUsedAt: nullableTimestamp,
});

const ProbeScores = {
  type: 'object',
  additionalProperties: true,
  properties: {
    top1: { type: 'number' },
    top5: { type: 'number' },
    knnTop1: { type: ['number', 'null'] },
    trainTop1: { type: 'number', description: "the probe's accuracy on its own training rows" },
    weightDecay: { type: 'number', description: 'chosen on the validation split' },
    featureDim: { type: 'integer' },
  },
};

const taskStatus = ref('TaskStatus');

const newApiKey = extend(ApiKey, { secret: { type: 'string', description: 'the key to send as `Authorization: Bearer <secret>`; shown only here' } });

const SCHEMAS = {
  Error,
  ErrorCode: { type: 'string', enum: ERROR_CODES, description: 'stable and machine-readable: branch on it (src/errors/catalogue.ts)' },
  Id: { type: 'string', minLength: 1, maxLength: 200, description: 'an id this API issued' },
  IdParams: { type: 'object', required: ['id'], properties: { id: ref('Id') } },
  Cursor: { type: 'string', minLength: 1, maxLength: 500, description: 'the nextCursor of the previous page' },
  NextCursor: { type: ['string', 'null'], description: 'pass as `cursor` for the next page; null on the last' },
  Scope: { type: 'string', enum: SCOPES },
  Health: {
    type: 'object',
    properties: Object.fromEntries(['status', 'postgres', 's3'].map((k) => [k, { type: 'string', enum: ['ok', 'unavailable'] }])),
  },

  Dataset,
  DatasetDetail: extend(Dataset, {
    imageCount: { type: 'integer' },
    labels: { type: 'object', description: 'images per label', additionalProperties: { type: 'integer' } },
    unlabeledCount: { type: 'integer' },
  }),
  DatasetPage: page('Dataset', 'datasets, newest first'),
  Image: record({
    id: { type: 'string' },
    sha256: { type: 'string', description: 'content address of the bytes' },
    format: { type: 'string', enum: ['png', 'jpeg', 'webp'] },
    width: { type: 'integer' },
    height: { type: 'integer' },
    channels: { type: 'integer' },
    bytes: { type: 'integer' },
    label: { type: ['string', 'null'] },
    split: { type: ['string', 'null'] },
    originalName: { type: 'string' },
    createdAt: timestamp,
  }),
  ImagePage: page('Image', 'images in id order'),
  Label: label,
  IngestResult: record(
    {
      added: { type: 'integer', description: 'new images in the dataset' },
      duplicates: { type: 'integer', description: 'files whose bytes (sha256) were already in the dataset or earlier in the request' },
      skipped: {
        type: 'array',
        description: 'files not added (at most 1000 listed)',
        items: record({
          name: { type: 'string' },
          reason: {
            type: 'string',
            enum: ['NOT_AN_IMAGE', 'UNSUPPORTED_FORMAT', 'CORRUPT_IMAGE', 'IMAGE_TOO_LARGE', 'FILE_TOO_LARGE', 'PATH_TRAVERSAL', 'SYMLINK', 'NOT_A_FILE', 'NOT_UPLOADED', 'INVALID_NAME', 'INVALID_LABEL'],
          },
        }),
      },
      skippedCount: { type: 'integer', description: 'all skipped files, listed or not' },
    },
    { description: 'what an upload added: 201 when at least one image was added, else 200' },
  ),
  DirectUpload: record({
    uploadId: { type: 'string' },
    expiresAt: timestamp,
    urlExpiresInSeconds: { type: 'integer' },
    files: {
      type: 'array',
      items: record({
        index: { type: 'integer' },
        name: { type: 'string' },
        method: { type: 'string', enum: ['PUT'] },
        url: { type: 'string', format: 'uri' },
        headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'send these headers with the PUT' },
      }),
    },
  }),

  JobStatus: { type: 'string', enum: JOB_STATUSES },
  TrainingConfig: trainingConfigSchema,
  CreateJobRequest: {
    type: 'object',
    required: ['datasetId'],
    additionalProperties: false,
    properties: {
      datasetId: { type: 'string', minLength: 1, maxLength: 200 },
      // checked against TrainingConfig in the domain (INVALID_JOB_CONFIG, naming the field), after
      // the defaults that depend on the dataset (image size, channels) are filled in
      config: freeForm('a TrainingConfig; absent fields take their defaults'),
    },
  },
  Job,
  JobPage: page('Job', 'jobs, newest first'),
  MetricPage: record({
    items: {
      type: 'array',
      items: record({
        epoch: { type: 'integer' },
        step: { type: 'integer' },
        values: { type: 'object', additionalProperties: true, description: 'loss, lr, collapse std, kNN accuracy, images/s...' },
        createdAt: timestamp,
      }),
    },
    nextSince: { type: ['integer', 'null'], description: 'pass as `since` for the next page; null when no more points exist yet' },
  }),
  CheckpointList: record({
    items: {
      type: 'array',
      items: record({
        id: { type: 'string' },
        epoch: { type: 'integer' },
        step: { type: 'integer' },
        sizeBytes: { type: 'integer' },
        metrics: freeForm('the metrics at the checkpoint', true),
        isFinal: { type: 'boolean', description: 'the checkpoint written when training finished' },
        createdAt: timestamp,
      }),
    },
  }),

  TaskStatus: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed'] },
  EmbeddingSet: record({
    id: { type: 'string', examples: ['emb_Q1w2E3r4T5y6U7i8O9p0aSdF'] },
    status: taskStatus,
    jobId: { type: 'string' },
    checkpointId: { type: 'string' },
    datasetId: { type: 'string' },
    count: { type: ['integer', 'null'], description: 'rows (images that decoded)' },
    dim: { type: ['integer', 'null'], description: 'feature dimension' },
    error: TaskError,
    createdAt: timestamp,
    startedAt: nullableTimestamp,
    finishedAt: nullableTimestamp,
  }),
  VectorPage: record({
    items: { type: 'array', items: record({ imageId: { type: 'string' }, label: { type: ['string', 'null'] }, vector: { type: 'array', items: { type: 'number' } } }) },
    nextCursor: ref('NextCursor'),
  }),
  Neighbors: record({
    embeddingSetId: { type: 'string' },
    imageId: { type: 'string' },
    items: {
      type: 'array',
      description: 'the query image first, then the most similar first',
      items: record({ imageId: { type: 'string' }, label: { type: ['string', 'null'] }, similarity: { type: 'number', description: 'cosine' } }),
    },
  }),
  EmbedResult: record({
    jobId: { type: 'string' },
    checkpointId: { type: 'string' },
    dim: { type: 'integer' },
    items: { type: 'array', items: record({ name: { type: 'string' }, vector: { type: 'array', items: { type: 'number' } } }) },
  }),

  LinearProbeRequest: {
    type: 'object',
    additionalProperties: false,
    description: 'either trainDatasetId + testDatasetId, or datasetId (+ splitFraction, seed) to split one labeled dataset',
    properties: {
      trainDatasetId: ref('Id'),
      testDatasetId: ref('Id'),
      datasetId: ref('Id'),
      splitFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'default 0.8' },
      seed: { type: 'integer', minimum: 0, maximum: 4294967295, description: 'default 0' },
      checkpoint: { ...ref('Id'), description: 'a checkpoint id; default the job\'s latest' },
      baselines: { type: 'array', items: { type: 'string', enum: BASELINES }, maxItems: BASELINES.length },
      trainLabels: { type: 'integer', minimum: 2, maximum: 100_000_000, description: 'train every probe (and the kNN bank) on this many labeled images, a seeded subset; default all' },
    },
  },
  ProbeScores,
  Evaluation: record({
    id: { type: 'string' },
    status: taskStatus,
    jobId: { type: 'string' },
    checkpointId: { type: 'string' },
    trainDatasetId: { type: 'string' },
    testDatasetId: { type: ['string', 'null'], description: 'null when the train dataset was split' },
    splitFraction: { type: ['number', 'null'] },
    seed: { type: 'integer' },
    trainLabels: { type: ['integer', 'null'], description: 'the labeled subset size the probes trained on (null: all)' },
    top1: { type: ['number', 'null'], description: 'linear probe top-1 on the test features' },
    trainTop1: { type: ['number', 'null'], description: 'the same probe on its own training features (beside top1, it shows over-fitting)' },
    top5: { type: ['number', 'null'] },
    knnTop1: { type: ['number', 'null'], description: 'kNN (k=200, cosine, T=0.1) top-1' },
    baselines: { type: ['object', 'null'], additionalProperties: ref('ProbeScores'), description: 'scores of the requested baselines (random-init, raw-pixels)' },
    details: freeForm('trainTop1, numClasses, trainCount, testCount, featureDim', true),
    recipe: freeForm('the exact probe and kNN recipe used', true),
    timings: freeForm('milliseconds: featuresMs, knnMs, probeMs, rawPixelsMs, randomInitMs, totalMs', true),
    error: TaskError,
    createdAt: timestamp,
    startedAt: nullableTimestamp,
    finishedAt: nullableTimestamp,
  }),

  ExperimentRequest: {
    type: 'object',
    required: ['datasetId', 'runs'],
    additionalProperties: false,
    properties: {
      datasetId: ref('Id'),
      evalDatasetId: { ...ref('Id'), description: 'labeled images to probe on; default a seeded 80/20 split of datasetId' },
      runs: {
        type: 'array',
        minItems: 1,
        maxItems: 20,
        items: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            // checked against TrainingConfig in the domain, naming the bad field
            config: freeForm('a TrainingConfig; absent fields take their defaults'),
          },
        },
      },
      seeds: { type: 'array', minItems: 1, maxItems: 10, uniqueItems: true, items: { type: 'integer', minimum: 0, maximum: 2147483647 }, description: 'one job per run and seed; default [0]' },
    },
  },
  ExperimentRow: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      seed: { type: 'integer' },
      method: { type: ['string', 'null'] },
      backbone: { type: ['string', 'null'] },
      status: { type: 'string', enum: ROW_STATUSES },
      linearTop1: nullableNumber,
      knnTop1: nullableNumber,
      collapseStd: nullableNumber,
      wallSeconds: nullableNumber,
      imagesPerSecond: nullableNumber,
      jobId: { type: 'string' },
      evaluationId: { type: ['string', 'null'] },
    },
  },
  Experiment: {
    type: 'object',
    description: 'a comparison: one job per run and seed, each probed when it ends, and the table of their scores',
    properties: {
      ...experimentFields,
      runs: { type: 'array', items: freeForm('a run as requested') },
      seeds: { type: ['array', 'null'], items: { type: 'integer' } },
      probe: freeForm('how the rows are probed'),
      rows: { type: 'array', items: ref('ExperimentRow') },
      summary: {
        type: 'array',
        description: 'per run name: mean ± std over its finished seeds',
        items: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            seeds: { type: 'integer' },
            finished: { type: 'integer' },
            metrics: {
              type: 'object',
              properties: Object.fromEntries(['linearTop1', 'knnTop1', 'collapseStd', 'wallSeconds', 'imagesPerSecond'].map((m) => [m, meanStd])),
            },
          },
        },
      },
      finishedRows: { type: 'integer' },
    },
  },
  ExperimentPage: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: experimentFields } }, nextCursor: ref('NextCursor') } },

  Quotas,
  QuotaChanges: {
    type: 'object',
    additionalProperties: false,
    description: 'a number sets a limit, null puts it back to the default, an absent name is unchanged',
    properties: Object.fromEntries(QUOTA_NAMES.map((q) => [q, { type: ['integer', 'null'], minimum: 0 }])),
  },
  UsageReport,
  Usage: record({ tenantId: { type: 'string' }, quotas: ref('UsageReport') }),
  Tenant,
  TenantDetail: extend(Tenant, { usage: ref('UsageReport') }),
  TenantPage: page('Tenant', 'tenants, newest first'),
  ApiKey,
  ApiKeyList: record({ items: { type: 'array', items: ref('ApiKey') } }),
  NewApiKey: {
    ...newApiKey,
    properties: { ...newApiKey.properties, replaces: { type: 'string', description: 'rotation only: the id of the key this one replaces (now revoked)' } },
  },
} as const;

export type SchemaName = keyof typeof SCHEMAS;

/** `{$ref}` to a shared schema, with an optional description beside it. */
export const schemaRef: (name: SchemaName, description?: string) => { $ref: string; description?: string } = ref;

export function registerSchemas(app: FastifyInstance) {
  for (const [name, schema] of Object.entries(SCHEMAS)) app.addSchema({ ...schema, $id: name });
}
