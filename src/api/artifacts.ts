// Downloads of a job's artifacts, streamed from S3 (the API never holds a whole file): checkpoints,
// and the trained backbone as a tfjs-layers model that `tf.loadLayersModel(url + '/model.json')` loads.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Services } from '../services.ts';
import { getJob } from '../domain/jobs.ts';
import { errors } from '../errors/catalogue.ts';
import { keys } from '../storage/keys.ts';
import { tenantOf } from './auth.ts';

const MODEL_FILES = { 'model.json': 'application/json', 'weights.bin': 'application/octet-stream' } as const;

export async function artifactRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const stream = async (reply: FastifyReply, key: string, contentType: string, filename?: string) => {
    const { body, size } = await services.blobs.getStream(key);
    reply.header('content-type', contentType);
    if (filename) reply.header('content-disposition', `attachment; filename="${filename}"`);
    if (size !== undefined) reply.header('content-length', size);
    return reply.send(body);
  };

  app.get<{ Params: { id: string; checkpointId: string } }>(
    '/jobs/:id/checkpoints/:checkpointId/download',
    {
      schema: {
        params: { type: 'object', required: ['id', 'checkpointId'], properties: { id: { type: 'string' }, checkpointId: { type: 'string' } } },
      },
    },
    async (request, reply) => {
      const job = await getJob(services.db, tenantOf(request), request.params.id);
      const checkpoint = await services.db.checkpoint.findFirst({ where: { id: request.params.checkpointId, jobId: job.id } });
      if (!checkpoint) throw errors.CHECKPOINT_NOT_FOUND(request.params.checkpointId);
      const name = `${job.id}-${checkpoint.isFinal ? 'final' : `step-${checkpoint.step}`}.ckpt`;
      return stream(reply, checkpoint.s3Key, 'application/octet-stream', name);
    },
  );

  app.get<{ Params: { id: string; file: keyof typeof MODEL_FILES } }>(
    '/jobs/:id/model/:file',
    {
      schema: {
        params: { type: 'object', required: ['id', 'file'], properties: { id: { type: 'string' }, file: { enum: Object.keys(MODEL_FILES) } } },
      },
    },
    async (request, reply) => {
      const job = await getJob(services.db, tenantOf(request), request.params.id);
      const key = keys.modelExport(job.id, request.params.file);
      if (job.status !== 'succeeded' || !(await services.blobs.head(key))) {
        throw errors.MODEL_NOT_READY(job.id, job.status);
      }
      return stream(reply, key, MODEL_FILES[request.params.file]);
    },
  );
}
