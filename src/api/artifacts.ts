// Downloads of a job's artifacts, streamed from S3 (the API never holds a whole file): checkpoints,
// and the trained backbone as a tfjs-layers model that `tf.loadLayersModel(url + '/model.json')` loads.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Services } from '../services.ts';
import { getJob } from '../domain/jobs.ts';
import { errors } from '../errors/catalogue.ts';
import { keys } from '../storage/keys.ts';
import { tenantOf } from './auth.ts';
import { contract, fileResponse, idParams } from './contract.ts';

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
      schema: contract({
        summary: 'Download a checkpoint (the engine\'s own format, for resuming or serving)',
        tags: ['artifacts'],
        params: idParams('id', 'checkpointId'),
        responses: { 200: fileResponse('the checkpoint file, streamed', ['application/octet-stream']) },
        errors: ['JOB_NOT_FOUND', 'CHECKPOINT_NOT_FOUND'],
      }),
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
      schema: contract({
        summary: "A succeeded job's backbone as a tfjs-layers model",
        description: "`tf.loadLayersModel('<base>/v1/jobs/{id}/model/model.json')` loads it (weights.bin is fetched beside it).",
        tags: ['artifacts'],
        params: { type: 'object', required: ['id', 'file'], properties: { id: { $ref: 'Id#' }, file: { type: 'string', enum: Object.keys(MODEL_FILES) } } },
        responses: { 200: fileResponse('model.json or weights.bin', Object.values(MODEL_FILES)) },
        errors: ['JOB_NOT_FOUND', 'MODEL_NOT_READY'],
      }),
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
