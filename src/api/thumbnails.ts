// GET /v1/datasets/:id/images/:imageId/thumbnail: a small WebP of one image, for the dashboard's
// grids, map tooltips and neighbour lists. Made on request by sharp from the stored bytes; an
// image's bytes are never rewritten (packs are written once), so the answer for an image id never
// changes and may be cached.
// Small images are not enlarged: the page scales them up pixelated.
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import type { Services } from '../services.ts';
import { tenantOf } from './auth.ts';
import { getDataset } from '../domain/datasets.ts';
import { errors } from '../errors/catalogue.ts';
import { contract, fileResponse, idParams } from './contract.ts';
import { readImageBytes } from '../storage/imageBytes.ts';

export async function thumbnailRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { db, blobs } = services;
  app.get<{ Params: { id: string; imageId: string }; Querystring: { size: number } }>(
    '/datasets/:id/images/:imageId/thumbnail',
    {
      schema: contract({
        summary: 'A small WebP of one image (cacheable: an image id never changes its bytes)',
        tags: ['datasets'],
        params: idParams('id', 'imageId'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { size: { type: 'integer', minimum: 16, maximum: 512, default: 96, description: 'longest side in pixels; small images are not enlarged' } },
        },
        responses: { 200: fileResponse('the thumbnail', ['image/webp']) },
        errors: ['DATASET_NOT_FOUND', 'IMAGE_NOT_FOUND'],
      }),
    },
    async (request, reply) => {
      const dataset = await getDataset(db, tenantOf(request), request.params.id);
      const image = await db.image.findFirst({ where: { id: request.params.imageId, datasetId: dataset.id }, select: { s3Key: true, packOffset: true, bytes: true } });
      if (!image) throw errors.IMAGE_NOT_FOUND(request.params.imageId);
      const { size } = request.query;
      const webp = await sharp(await readImageBytes(blobs, image))
        .resize(size, size, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 80 })
        .toBuffer();
      return reply.type('image/webp').header('cache-control', 'private, max-age=86400, immutable').send(webp);
    },
  );
}
