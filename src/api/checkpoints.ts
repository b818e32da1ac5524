// Downloads of a job's checkpoints, streamed from S3 (the API never holds a whole checkpoint).
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { getJob } from '../domain/jobs.ts';
import { notFound } from '../domain/errors.ts';
import { tenantOf } from './auth.ts';

export async function checkpointRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.get<{ Params: { id: string; checkpointId: string } }>(
    '/jobs/:id/checkpoints/:checkpointId/download',
    {
      schema: {
        params: {
          type: 'object',
          required: ['id', 'checkpointId'],
          properties: { id: { type: 'string' }, checkpointId: { type: 'string' } },
        },
      },
    },
    async (request, reply) => {
      const job = await getJob(services.db, tenantOf(request), request.params.id);
      const checkpoint = await services.db.checkpoint.findFirst({ where: { id: request.params.checkpointId, jobId: job.id } });
      if (!checkpoint) throw notFound('checkpoint', request.params.checkpointId);
      const { body, size } = await services.blobs.getStream(checkpoint.s3Key);
      reply
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', `attachment; filename="${job.id}-${checkpoint.isFinal ? 'final' : `step-${checkpoint.step}`}.ckpt"`);
      if (size !== undefined) reply.header('content-length', size);
      return reply.send(body);
    },
  );
}
