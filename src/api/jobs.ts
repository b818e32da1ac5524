// REST for training jobs: create (idempotent), list, read, cancel, and the read side a worker fills
// (metrics, checkpoints). Auth happens in the auth plugin; every call here is scoped by tenantOf().
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { tenantOf } from './auth.ts';
import {
  cancelJob,
  createJob,
  jobView,
  listCheckpoints,
  listJobs,
  listMetrics,
  type CreateJobRequest,
  type JobStatus,
} from '../domain/jobs.ts';
import { deleteJob } from '../domain/deletion.ts';
import { advanceExperiments } from '../domain/experimentState.ts';
import { contract, idParams, noContent } from './contract.ts';
import { schemaRef } from './schemas.ts';

const tags = ['jobs'];

const createSchema = contract({
  summary: 'Start a training job on a dataset',
  description:
    'Validated against TrainingConfig (INVALID_JOB_CONFIG names each bad field) after the defaults that depend on the dataset (image size, channels) are filled in. ' +
    'With an Idempotency-Key, a retry of the same request answers the first job (header Idempotent-Replayed: true).',
  tags,
  headers: {
    type: 'object',
    properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255, description: 'makes retries safe: the same key and body give the same job' } },
  },
  body: schemaRef('CreateJobRequest'),
  responses: { 202: schemaRef('Job', 'queued; Location names the job') },
  errors: ['DATASET_NOT_FOUND', 'INVALID_JOB_CONFIG', 'IDEMPOTENCY_KEY_REUSED', 'DATASET_EMPTY', 'DATASET_TOO_SMALL', 'QUOTA_EXCEEDED@429'],
});

const listSchema = contract({
  summary: "The caller's jobs, newest first",
  tags,
  querystring: {
    type: 'object',
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      cursor: schemaRef('Cursor'),
      status: schemaRef('JobStatus'),
      datasetId: schemaRef('Id'),
    },
  },
  responses: { 200: schemaRef('JobPage', 'one page') },
  errors: ['INVALID_CURSOR'],
});

const metricsSchema = contract({
  summary: "A job's metric points (loss, lr, collapse std, kNN, images/s), oldest first",
  tags,
  params: idParams('id'),
  querystring: {
    type: 'object',
    properties: {
      since: { type: 'integer', minimum: 0, description: 'only points after this step (the nextSince of the previous page)' },
      limit: { type: 'integer', minimum: 1, maximum: 5000, default: 1000 },
    },
  },
  responses: { 200: schemaRef('MetricPage', 'one page') },
  errors: ['JOB_NOT_FOUND'],
});

const readSchema = contract({ summary: 'A job', tags, params: idParams('id'), responses: { 200: schemaRef('Job', 'the job') }, errors: ['JOB_NOT_FOUND'] });

const cancelSchema = contract({
  summary: 'Cancel a job',
  tags,
  params: idParams('id'),
  responses: { 200: schemaRef('Job', 'cancelled (it was queued)'), 202: schemaRef('Job', 'running: its worker was asked to stop and will record cancelled') },
  errors: ['JOB_NOT_FOUND', 'JOB_FINISHED'],
});

const deleteSchema = contract({
  summary: 'Delete a job and all it made: checkpoints, metrics, embedding sets, evaluations, stored objects',
  description: 'A queued or running job is cancelled first; the delete waits a little for its worker to stop.',
  tags,
  params: idParams('id'),
  responses: { 204: noContent('deleted') },
  errors: ['JOB_NOT_FOUND', 'JOB_STILL_RUNNING', 'EMBEDDINGS_RUNNING'],
});

const checkpointsSchema = contract({
  summary: "A job's checkpoints, by epoch",
  tags,
  params: idParams('id'),
  responses: { 200: schemaRef('CheckpointList', 'the checkpoints kept') },
  errors: ['JOB_NOT_FOUND'],
});

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

  app.get<{ Params: { id: string } }>('/jobs/:id', { schema: readSchema }, async (request) =>
    services.jobViews.read(tenantOf(request), request.params.id),
  );

  app.post<{ Params: { id: string } }>('/jobs/:id/cancel', { schema: cancelSchema }, async (request, reply) => {
    const { job, immediate } = await cancelJob(services, tenantOf(request), request.params.id);
    // a queued job ends here, not in a worker: its experiment moves on here too
    if (immediate) await advanceExperiments(services, request.log, { jobId: job.id });
    // 200: cancelled now; 202: a running job was asked to stop and its worker will confirm
    return reply.status(immediate ? 200 : 202).send(jobView(job));
  });

  // cancels first (waiting for a running job's worker to stop), then removes everything the job made
  app.delete<{ Params: { id: string } }>('/jobs/:id', { schema: deleteSchema }, async (request, reply) => {
    await deleteJob(services, tenantOf(request), request.params.id);
    // an experiment row whose job is gone is final
    await advanceExperiments(services, request.log, { jobId: request.params.id });
    return reply.status(204).send();
  });

  app.get<{ Params: { id: string }; Querystring: { since?: number; limit: number } }>(
    '/jobs/:id/metrics',
    { schema: metricsSchema },
    async (request) => listMetrics(services.db, tenantOf(request), request.params.id, request.query),
  );

  app.get<{ Params: { id: string } }>('/jobs/:id/checkpoints', { schema: checkpointsSchema }, async (request) =>
    listCheckpoints(services.db, tenantOf(request), request.params.id),
  );
}
