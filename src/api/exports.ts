// GET /v1/jobs/:id/export?format=safetensors|onnx: a checkpoint's backbone for PyTorch or any ONNX
// runtime (docs/exports.md). Built on first request, then streamed from S3.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { modelCheckpoint } from '../domain/embeddings.ts';
import { jobTrainingConfig } from '../domain/trainingConfig.ts';
import { backboneExport } from '../export/backboneExport.ts';
import { EXPORT_FORMATS, type ExportFormat } from '../export/exportFile.ts';
import { tenantOf } from './auth.ts';
import { contract, fileResponse, idParams } from './contract.ts';

export async function exportRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.get<{ Params: { id: string }; Querystring: { format: ExportFormat; checkpoint?: string } }>(
    '/jobs/:id/export',
    {
      schema: contract({
        summary: "A checkpoint's backbone for PyTorch (safetensors: torchvision's ResNet or timm's VisionTransformer key names) or any ONNX runtime",
        description: 'Built on first request, then served from storage. For resnet18 and resnet50 the safetensors keys match torchvision\'s, so `load_state_dict(..., strict=True)` works after `m.fc = Identity()`; a ViT\'s keys and layouts are timm\'s VisionTransformer without its head, and the file\'s metadata says how to build it (docs/exports.md).',
        tags: ['artifacts'],
        params: idParams('id'),
        querystring: {
          type: 'object',
          properties: {
            format: { type: 'string', enum: Object.keys(EXPORT_FORMATS), default: 'safetensors' },
            checkpoint: { $ref: 'Id#', description: "a checkpoint id; default the job's latest" },
          },
        },
        responses: {
          200: fileResponse('the exported backbone', [...new Set(Object.values(EXPORT_FORMATS).map((f) => f.contentType))], {
            'X-Checkpoint-Id': { type: 'string', description: 'the checkpoint exported' },
          }),
        },
        errors: ['JOB_NOT_FOUND', 'CHECKPOINT_NOT_FOUND', 'JOB_NOT_READY'],
      }),
    },
    async (request, reply) => {
      const { format } = request.query;
      const { job, checkpoint } = await modelCheckpoint(services.db, tenantOf(request), request.params.id, request.query.checkpoint);
      const { backbone } = jobTrainingConfig(job.config);
      const key = await backboneExport(services, job, checkpoint, format);
      const { body, size } = await services.blobs.getStream(key);
      const name = `${job.id}-${backbone}-${checkpoint.isFinal ? 'final' : `step-${checkpoint.step}`}.${EXPORT_FORMATS[format].extension}`;
      reply.header('content-type', EXPORT_FORMATS[format].contentType);
      reply.header('content-disposition', `attachment; filename="${name}"`);
      reply.header('x-checkpoint-id', checkpoint.id);
      if (size !== undefined) reply.header('content-length', size);
      return reply.send(body);
    },
  );
}
