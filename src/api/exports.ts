// GET /v1/jobs/:id/export?format=safetensors|onnx: a checkpoint's backbone for PyTorch or any ONNX
// runtime (docs/exports.md). Built on first request, then streamed from S3.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { modelCheckpoint } from '../domain/embeddings.ts';
import { jobTrainingConfig } from '../domain/trainingConfig.ts';
import { backboneExport, EXPORT_FORMATS, type ExportFormat } from '../export/backboneExport.ts';
import { AppError } from '../domain/errors.ts';
import { BACKBONE_SPECS } from '../engine/backbones/specs.ts';
import { tenantOf } from './auth.ts';

export async function exportRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.get<{ Params: { id: string }; Querystring: { format: ExportFormat; checkpoint?: string } }>(
    '/jobs/:id/export',
    {
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
        querystring: {
          type: 'object',
          properties: { format: { enum: Object.keys(EXPORT_FORMATS), default: 'safetensors' }, checkpoint: { type: 'string' } },
        },
      },
    },
    async (request, reply) => {
      const { format } = request.query;
      const { job, checkpoint } = await modelCheckpoint(services.db, tenantOf(request), request.params.id, request.query.checkpoint);
      const { backbone } = jobTrainingConfig(job.config);
      // both formats name and lay out torchvision's ResNet; a ViT has the tfjs-layers model only
      if (BACKBONE_SPECS[backbone].family !== 'resnet') {
        throw new AppError(422, 'EXPORT_UNSUPPORTED_BACKBONE', `${format} export covers ResNet backbones only, not '${backbone}'; a ViT's backbone is served as a tfjs-layers model (GET /v1/jobs/:id/model/model.json)`);
      }
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
