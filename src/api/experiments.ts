// REST for experiments: one request runs a comparison (runs x seeds, each job probed) and answers
// with its table, which GET reads live.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { tenantOf } from './auth.ts';
import { type CreateExperimentRequest, createExperiment, deleteExperiment, listExperiments, readExperiment } from '../domain/experiments.ts';
import { contract, idParams, noContent } from './contract.ts';
import { schemaRef } from './schemas.ts';

const tags = ['experiments'];

const createSchema = contract({
  summary: 'Run a comparison: one job per run and seed, each probed when it ends',
  description: "Every job is created (durably, with the caller's quotas checked) before the answer. GET the experiment for its live table.",
  tags,
  body: schemaRef('ExperimentRequest'),
  responses: { 202: schemaRef('Experiment', 'accepted; Location names the experiment') },
  errors: ['INVALID_EXPERIMENT', 'INVALID_JOB_CONFIG', 'DATASET_NOT_FOUND', 'DATASET_TOO_SMALL', 'DATASET_UNLABELED', 'QUOTA_EXCEEDED@429'],
});

const listSchema = contract({
  summary: "The caller's experiments, newest first",
  tags,
  querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 }, cursor: schemaRef('Cursor') } },
  responses: { 200: schemaRef('ExperimentPage', 'a page of experiments') },
});

const readSchema = contract({ summary: 'An experiment and its table, live', tags, params: idParams('id'), responses: { 200: schemaRef('Experiment', 'the experiment') }, errors: ['EXPERIMENT_NOT_FOUND'] });

const deleteSchema = contract({
  summary: 'Delete an experiment (its jobs and evaluations stay)',
  tags,
  params: idParams('id'),
  responses: { 204: noContent('deleted') },
  errors: ['EXPERIMENT_NOT_FOUND'],
});

export async function experimentRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.post<{ Body: CreateExperimentRequest }>('/experiments', { schema: createSchema }, async (request, reply) => {
    const experiment = await createExperiment(services, tenantOf(request), request.body);
    return reply.status(202).header('Location', `/v1/experiments/${experiment.id}`).send(experiment);
  });

  app.get<{ Querystring: { limit: number; cursor?: string } }>('/experiments', { schema: listSchema }, async (request) =>
    listExperiments(services, tenantOf(request), request.query),
  );

  app.get<{ Params: { id: string } }>('/experiments/:id', { schema: readSchema }, async (request) =>
    readExperiment(services, tenantOf(request), request.params.id),
  );

  app.delete<{ Params: { id: string } }>('/experiments/:id', { schema: deleteSchema }, async (request, reply) => {
    await deleteExperiment(services, tenantOf(request), request.params.id);
    return reply.status(204).send();
  });
}
