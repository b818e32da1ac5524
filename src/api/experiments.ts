// REST for experiments: one request runs a comparison (runs x seeds, each job probed) and answers
// with its table, which GET reads live. Schemas carry $id names so the OpenAPI document can $ref them.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { tenantOf } from './auth.ts';
import { type CreateExperimentRequest, createExperiment, deleteExperiment, listExperiments, readExperiment } from '../domain/experiments.ts';
import { ROW_STATUSES } from '../domain/experimentTable.ts';

const id = { type: 'string', minLength: 1, maxLength: 200 } as const;
const idParams = { type: 'object', required: ['id'], properties: { id } } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableNumber = { type: ['number', 'null'] } as const;
const meanStd = { type: ['object', 'null'], properties: { mean: { type: 'number' }, std: { type: 'number' }, n: { type: 'integer' } } } as const;

export const experimentRequestSchema = {
  $id: 'ExperimentRequest',
  type: 'object',
  required: ['datasetId', 'runs'],
  additionalProperties: false,
  properties: {
    datasetId: id,
    evalDatasetId: id,
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
          // validated against the training-config schema in the domain, which names the bad field
          config: { type: 'object' },
        },
      },
    },
    seeds: { type: 'array', minItems: 1, maxItems: 10, uniqueItems: true, items: { type: 'integer', minimum: 0, maximum: 2147483647 } },
  },
} as const;

export const experimentRowSchema = {
  $id: 'ExperimentRow',
  type: 'object',
  properties: {
    name: { type: 'string' },
    seed: { type: 'integer' },
    method: { type: ['string', 'null'] },
    backbone: { type: ['string', 'null'] },
    status: { enum: ROW_STATUSES },
    linearTop1: nullableNumber,
    knnTop1: nullableNumber,
    collapseStd: nullableNumber,
    wallSeconds: nullableNumber,
    imagesPerSecond: nullableNumber,
    jobId: { type: 'string' },
    evaluationId: { type: ['string', 'null'] },
  },
} as const;

const experimentFields = {
  id: { type: 'string' },
  status: { enum: ['running', 'finished'] },
  datasetId: { type: 'string' },
  evalDatasetId: { type: ['string', 'null'] },
  createdAt: timestamp,
  updatedAt: timestamp,
  finishedAt: { type: ['string', 'null'], format: 'date-time' },
} as const;

export const experimentSchema = {
  $id: 'Experiment',
  type: 'object',
  properties: {
    ...experimentFields,
    runs: { type: 'array', items: { type: 'object', additionalProperties: true } },
    seeds: { type: ['array', 'null'], items: { type: 'integer' } },
    probe: { type: 'object', additionalProperties: true },
    rows: { type: 'array', items: { $ref: 'ExperimentRow#' } },
    summary: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          seeds: { type: 'integer' },
          finished: { type: 'integer' },
          metrics: {
            type: 'object',
            properties: { linearTop1: meanStd, knnTop1: meanStd, collapseStd: meanStd, wallSeconds: meanStd, imagesPerSecond: meanStd },
          },
        },
      },
    },
    finishedRows: { type: 'integer' },
  },
} as const;

const experimentPageSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: { type: 'object', properties: experimentFields } }, nextCursor: { type: ['string', 'null'] } },
} as const;

export async function experimentRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.addSchema(experimentRowSchema);
  app.addSchema(experimentSchema);
  app.addSchema(experimentRequestSchema);

  app.post<{ Body: CreateExperimentRequest }>(
    '/experiments',
    { schema: { body: { $ref: 'ExperimentRequest#' }, response: { 202: { $ref: 'Experiment#' } } } },
    async (request, reply) => {
      const experiment = await createExperiment(services, tenantOf(request), request.body);
      return reply.status(202).header('Location', `/v1/experiments/${experiment.id}`).send(experiment);
    },
  );

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/experiments',
    {
      schema: {
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 }, cursor: { type: 'string', minLength: 1 } } },
        response: { 200: experimentPageSchema },
      },
    },
    async (request) => listExperiments(services, tenantOf(request), request.query),
  );

  app.get<{ Params: { id: string } }>('/experiments/:id', { schema: { params: idParams, response: { 200: { $ref: 'Experiment#' } } } }, async (request) =>
    readExperiment(services, tenantOf(request), request.params.id),
  );

  app.delete<{ Params: { id: string } }>('/experiments/:id', { schema: { params: idParams } }, async (request, reply) => {
    await deleteExperiment(services, tenantOf(request), request.params.id);
    return reply.status(204).send();
  });
}
