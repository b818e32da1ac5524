// REST for linear-probe evaluations: start one on a job's checkpoint, read its status and results.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { tenantOf } from './auth.ts';
import { deleteEvaluation } from '../domain/deletion.ts';
import { evaluationView, getEvaluation, requestLinearProbe, type LinearProbeRequest } from '../domain/evaluations.ts';

import { contract, idParams, noContent } from './contract.ts';
import { schemaRef } from './schemas.ts';

const tags = ['evaluations'];

const probeSchema = contract({
  summary: "Start a linear probe (and kNN) of a job's checkpoint on labeled datasets",
  description: 'Either trainDatasetId + testDatasetId, or datasetId (+ splitFraction, seed) to split one; checked in the domain (INVALID_PROBE_REQUEST).',
  tags,
  params: idParams('id'),
  body: schemaRef('LinearProbeRequest'),
  responses: { 202: schemaRef('Evaluation', 'queued; Location names the evaluation') },
  errors: ['JOB_NOT_FOUND', 'CHECKPOINT_NOT_FOUND', 'JOB_NOT_READY', 'DATASET_NOT_FOUND', 'INVALID_PROBE_REQUEST', 'DATASET_EMPTY', 'DATASET_UNLABELED', 'DATASET_TOO_SMALL', 'PROBE_TOO_LARGE', 'QUOTA_EXCEEDED@429'],
});

const readSchema = contract({ summary: 'An evaluation: status, scores and baselines', tags, params: idParams('id'), responses: { 200: schemaRef('Evaluation', 'the evaluation') }, errors: ['EVALUATION_NOT_FOUND'] });

const deleteSchema = contract({ summary: 'Delete an evaluation', tags, params: idParams('id'), responses: { 204: noContent('deleted') }, errors: ['EVALUATION_NOT_FOUND'] });

export async function evaluationRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.post<{ Params: { id: string }; Body: LinearProbeRequest }>(
    '/jobs/:id/linear-probe',
    { schema: probeSchema },
    async (request, reply) => {
      const evaluation = await requestLinearProbe(services, tenantOf(request), request.params.id, request.body);
      return reply.status(202).header('Location', `/v1/evaluations/${evaluation.id}`).send(evaluationView(evaluation));
    },
  );

  app.get<{ Params: { id: string } }>('/evaluations/:id', { schema: readSchema }, async (request) =>
    evaluationView(await getEvaluation(services.db, tenantOf(request), request.params.id)),
  );

  app.delete<{ Params: { id: string } }>('/evaluations/:id', { schema: deleteSchema }, async (request, reply) => {
    await deleteEvaluation(services, tenantOf(request), request.params.id);
    return reply.status(204).send();
  });
}
