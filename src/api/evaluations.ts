// REST for linear-probe evaluations: start one on a job's checkpoint, read its status and results.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { tenantOf } from './auth.ts';
import { deleteEvaluation } from '../domain/deletion.ts';
import { BASELINES, evaluationView, getEvaluation, requestLinearProbe, type LinearProbeRequest } from '../domain/evaluations.ts';

const id = { type: 'string', minLength: 1, maxLength: 200 } as const;
const idParams = { type: 'object', required: ['id'], properties: { id } } as const;

const probeBody = {
  type: 'object',
  additionalProperties: false,
  // either trainDatasetId + testDatasetId, or datasetId (+ splitFraction, seed): checked in the domain
  properties: {
    trainDatasetId: id,
    testDatasetId: id,
    datasetId: id,
    splitFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
    checkpoint: id,
    baselines: { type: 'array', items: { enum: BASELINES }, maxItems: BASELINES.length },
    trainLabels: { type: 'integer', minimum: 2, maximum: 100_000_000 },
  },
} as const;

export async function evaluationRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.post<{ Params: { id: string }; Body: LinearProbeRequest }>(
    '/jobs/:id/linear-probe',
    { schema: { params: idParams, body: probeBody } },
    async (request, reply) => {
      const evaluation = await requestLinearProbe(services, tenantOf(request), request.params.id, request.body);
      return reply.status(202).header('Location', `/v1/evaluations/${evaluation.id}`).send(evaluationView(evaluation));
    },
  );

  app.get<{ Params: { id: string } }>('/evaluations/:id', { schema: { params: idParams } }, async (request) =>
    evaluationView(await getEvaluation(services.db, tenantOf(request), request.params.id)),
  );

  app.delete<{ Params: { id: string } }>('/evaluations/:id', { schema: { params: idParams } }, async (request, reply) => {
    await deleteEvaluation(services, tenantOf(request), request.params.id);
    return reply.status(204).send();
  });
}
