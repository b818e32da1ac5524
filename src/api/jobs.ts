// REST for training jobs: create (idempotent), list, read, cancel, and the read side a worker fills
// (metrics, checkpoints). Auth happens in the auth plugin; every call here is scoped by tenantOf().
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { tenantOf } from './auth.ts';
import {
  cancelJob,
  createJob,
  JOB_STATUSES,
  jobView,
  listCheckpoints,
  listJobs,
  listMetrics,
  readJobView,
  type CreateJobRequest,
  type JobStatus,
} from '../domain/jobs.ts';
import { deleteJob } from '../domain/deletion.ts';

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

const timestamp = { type: 'string', format: 'date-time' } as const;
const nullable = <T extends { type: string }>(schema: T) => ({ ...schema, type: [schema.type, 'null'] }) as const;

/** jobView's answer, for fast-json-stringify: free-form JSON fields keep every key (additionalProperties). */
const jobResponse = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string' },
    datasetId: { type: 'string' },
    config: { type: 'object', additionalProperties: true },
    progress: { type: ['object', 'null'], additionalProperties: true },
    error: { type: ['object', 'null'], additionalProperties: true },
    attempts: { type: 'integer' },
    backend: nullable({ type: 'string' }),
    workerId: nullable({ type: 'string' }),
    resumedFromEpoch: nullable({ type: 'integer' }),
    cancelRequestedAt: nullable(timestamp),
    createdAt: timestamp,
    updatedAt: timestamp,
    startedAt: nullable(timestamp),
    finishedAt: nullable(timestamp),
  },
} as const;

const createSchema = {
  headers: {
    type: 'object',
    properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255 } },
  },
  body: {
    type: 'object',
    required: ['datasetId'],
    additionalProperties: false,
    properties: {
      datasetId: { type: 'string', minLength: 1, maxLength: 200 },
      // validated against the training-config schema in the domain, which names the bad field
      config: { type: 'object' },
    },
  },
} as const;

const listSchema = {
  querystring: {
    type: 'object',
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      cursor: { type: 'string', minLength: 1 },
      status: { enum: JOB_STATUSES },
      datasetId: { type: 'string', minLength: 1 },
    },
  },
} as const;

const metricsSchema = {
  params: idParams,
  querystring: {
    type: 'object',
    properties: {
      since: { type: 'integer', minimum: 0 },
      limit: { type: 'integer', minimum: 1, maximum: 5000, default: 1000 },
    },
  },
} as const;

export async function jobRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.post<{ Body: CreateJobRequest; Headers: { 'idempotency-key'?: string } }>(
    '/jobs',
    { schema: createSchema },
    async (request, reply) => {
      const { job, replayed } = await createJob(services, tenantOf(request), request.body, request.headers['idempotency-key']);
      if (replayed) reply.header('Idempotent-Replayed', 'true');
      return reply.status(202).header('Location', `/v1/jobs/${job.id}`).send(jobView(job));
    },
  );

  app.get<{ Querystring: { limit: number; cursor?: string; status?: JobStatus; datasetId?: string } }>(
    '/jobs',
    { schema: listSchema },
    async (request) => {
      const page = await listJobs(services.db, tenantOf(request), request.query);
      return { items: page.items.map(jobView), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Params: { id: string } }>('/jobs/:id', { schema: { params: idParams, response: { 200: jobResponse } } }, async (request) =>
    readJobView(services.pool, tenantOf(request), request.params.id),
  );

  app.post<{ Params: { id: string } }>('/jobs/:id/cancel', { schema: { params: idParams } }, async (request, reply) => {
    const { job, immediate } = await cancelJob(services, tenantOf(request), request.params.id);
    // 200: cancelled now; 202: a running job was asked to stop and its worker will confirm
    return reply.status(immediate ? 200 : 202).send(jobView(job));
  });

  // cancels first (waiting for a running job's worker to stop), then removes everything the job made
  app.delete<{ Params: { id: string } }>('/jobs/:id', { schema: { params: idParams } }, async (request, reply) => {
    await deleteJob(services, tenantOf(request), request.params.id);
    return reply.status(204).send();
  });

  app.get<{ Params: { id: string }; Querystring: { since?: number; limit: number } }>(
    '/jobs/:id/metrics',
    { schema: metricsSchema },
    async (request) => listMetrics(services.db, tenantOf(request), request.params.id, request.query),
  );

  app.get<{ Params: { id: string } }>('/jobs/:id/checkpoints', { schema: { params: idParams } }, async (request) =>
    listCheckpoints(services.db, tenantOf(request), request.params.id),
  );
}
