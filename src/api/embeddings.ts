// REST for embeddings: request a set for (job, checkpoint, dataset), read its status, fetch its
// vectors (.npy streamed from S3, JSON pages, CSV), nearest neighbours within a set, and synchronous
// embedding of a few uploaded images with a cached model. Every call is scoped by tenantOf().
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { tenantOf } from './auth.ts';
import { errors } from '../errors/catalogue.ts';
import { embeddingSetView, getEmbeddingSet, modelCheckpoint, readyEmbeddingSet, requestEmbeddings } from '../domain/embeddings.ts';
import { decodedBytes, decodeImage, decodeSpecOf } from '../data/decode.ts';
import { readAll } from '../ingest/streams.ts';
import { probeImage, withDecodeBudget } from '../ingest/imageProbe.ts';
import { readEmbeddings, START, type RowPosition } from '../serving/embeddingReader.ts';
import { NotARowStart, vectorPage } from '../serving/vectorPages.ts';
import { neighborsOf } from '../serving/neighbors.ts';
import { ModelCache } from '../hosting/modelCache.ts';
import { jobTrainingConfig } from '../domain/trainingConfig.ts';
import { openFrozenModel } from '../hosting/frozenModel.ts';
import { deleteEmbeddingSet } from '../domain/deletion.ts';

import { contract, fileResponse, idParams, noContent } from './contract.ts';
import { schemaRef } from './schemas.ts';

const tags = ['embeddings'];
const NOT_READY = ['EMBEDDING_SET_NOT_FOUND', 'EMBEDDINGS_NOT_READY'] as const;

/** How long a redirect's presigned URL to a set's .npy stays valid. */
const NPY_URL_TTL_SECONDS = 15 * 60;

/** Images per synchronous embed request: a few, not a dataset (that is what embedding sets are for). */
const MAX_EMBED_IMAGES = 16;

const encodeCursor = (p: RowPosition) => Buffer.from(JSON.stringify([p.row, p.offset])).toString('base64url');
function decodeCursor(cursor: string): RowPosition {
  try {
    const [row, offset] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (Number.isSafeInteger(row) && Number.isSafeInteger(offset) && (row as number) >= 0 && (offset as number) >= START.offset) {
      return { row: row as number, offset: offset as number };
    }
  } catch {
    // fall through: any undecodable cursor is the client's error
  }
  throw errors.INVALID_CURSOR();
}

export async function embeddingRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { db, pool, blobs, hotSets } = services;
  const models = new ModelCache(Number(process.env.EMBED_MODEL_CACHE_SIZE) || 2);
  app.addHook('onClose', () => models.close());

  app.post<{ Params: { id: string }; Body: { datasetId: string; checkpoint?: string } }>(
    '/jobs/:id/embeddings',
    {
      schema: contract({
        summary: "Compute an embedding set: a checkpoint's features of every image of a dataset",
        tags,
        params: idParams('id'),
        body: {
          type: 'object',
          required: ['datasetId'],
          additionalProperties: false,
          properties: { datasetId: schemaRef('Id'), checkpoint: schemaRef('Id', "a checkpoint id; default the job's latest") },
        },
        responses: {
          200: schemaRef('EmbeddingSet', 'the set for this (job, checkpoint, dataset) already exists'),
          202: schemaRef('EmbeddingSet', 'a new set is being computed; Location names it'),
        },
        errors: ['JOB_NOT_FOUND', 'CHECKPOINT_NOT_FOUND', 'JOB_NOT_READY', 'DATASET_NOT_FOUND', 'DATASET_EMPTY', 'QUOTA_EXCEEDED@429'],
      }),
    },
    async (request, reply) => {
      const { set, created } = await requestEmbeddings(services, tenantOf(request), request.params.id, request.body);
      // 202: a new set is being computed; 200: the set for this (job, checkpoint, dataset) already exists
      return reply.status(created ? 202 : 200).header('Location', `/v1/embeddings/${set.id}`).send(embeddingSetView(set));
    },
  );

  const readSchema = contract({
    summary: 'An embedding set: status, rows and dimension',
    tags,
    params: idParams('id'),
    responses: { 200: schemaRef('EmbeddingSet', 'the set') },
    errors: ['EMBEDDING_SET_NOT_FOUND'],
  });
  app.get<{ Params: { id: string } }>('/embeddings/:id', { schema: readSchema }, async (request) =>
    embeddingSetView(await getEmbeddingSet(db, tenantOf(request), request.params.id)),
  );

  const deleteSchema = contract({
    summary: 'Delete an embedding set and its stored vectors',
    tags,
    params: idParams('id'),
    responses: { 204: noContent('deleted') },
    errors: ['EMBEDDING_SET_NOT_FOUND', 'EMBEDDINGS_RUNNING'],
  });
  app.delete<{ Params: { id: string } }>('/embeddings/:id', { schema: deleteSchema }, async (request, reply) => {
    await deleteEmbeddingSet(services, tenantOf(request), request.params.id);
    return reply.status(204).send();
  });

  app.get<{ Params: { id: string }; Querystring: { format: 'npy' | 'json' | 'csv'; redirect: boolean; cursor?: string; limit: number } }>(
    '/embeddings/:id/vectors',
    {
      schema: contract({
        summary: "A set's vectors: the whole .npy or .csv (streamed), or JSON pages",
        description: 'npy: float32 [count, dim], rows in the order of the JSON pages; csv: imageId, label, f0..f(dim-1); json: pages of `limit` rows (cursor, limit apply to json only).',
        tags,
        params: idParams('id'),
        querystring: {
          type: 'object',
          properties: {
            format: { type: 'string', enum: ['npy', 'json', 'csv'], default: 'npy' },
            redirect: {
              type: 'boolean',
              default: false,
              description: 'npy only: answer 307 to a presigned S3 URL of the file (valid 15 minutes) instead of streaming it through the API; for clients that reach the bucket, as direct uploads do',
            },
            cursor: schemaRef('Cursor'),
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        responses: {
          200: {
            description: 'the vectors in the format asked for',
            content: {
              'application/json': { schema: schemaRef('VectorPage') },
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          307: { description: 'redirect=true with format=npy: the Location header is a presigned S3 URL of the .npy' },
        },
        errors: [...NOT_READY, 'INVALID_CURSOR'],
      }),
    },
    async (request, reply) => {
      const set = await readyEmbeddingSet(pool, tenantOf(request), request.params.id);
      const { format } = request.query;
      if (format === 'npy' && request.query.redirect) {
        // the bytes go from the bucket to the client: no API replica copies them
        return reply.redirect(await blobs.presignGet(set.vectorsKey, NPY_URL_TTL_SECONDS), 307);
      }
      if (format === 'npy') {
        const object = await blobs.getStream(set.vectorsKey);
        if (object.size !== undefined) reply.header('Content-Length', object.size);
        return reply
          .type('application/octet-stream')
          .header('Content-Disposition', `attachment; filename="${set.id}.npy"`)
          .send(object.body);
      }
      if (format === 'csv') {
        const header = ['imageId', 'label', ...Array.from({ length: set.dim }, (_, j) => `f${j}`)].join(',');
        const csvField = (s: string | null) => (s === null ? '' : /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
        const lines = async function* () {
          yield `${header}\n`;
          for await (const r of readEmbeddings(blobs, set, START)) yield `${csvField(r.imageId)},${csvField(r.label)},${Array.from(r.vector).join(',')}\n`;
        };
        return reply.type('text/csv').header('Content-Disposition', `attachment; filename="${set.id}.csv"`).send(Readable.from(lines()));
      }
      const from = request.query.cursor ? decodeCursor(request.query.cursor) : START;
      const { rows, next } = await vectorPage(blobs, hotSets, set, from, request.query.limit).catch((err: unknown) => {
        // without a cursor the page starts at row 0: a bad line there is a damaged file, not the client's error
        throw err instanceof NotARowStart && request.query.cursor ? errors.INVALID_CURSOR() : err;
      });
      const body = {
        items: rows.map((r) => ({ imageId: r.imageId, label: r.label, vector: Array.from(r.vector) })),
        nextCursor: next && next.row < set.count ? encodeCursor(next) : null,
      };
      // Sent as text: JSON.stringify prints number arrays natively, well ahead of the schema
      // serializer's call per number, and prints the same text (a non-finite value becomes null,
      // where the schema serializer failed the request)
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { imageId: string; k: number } }>(
    '/embeddings/:id/neighbors',
    {
      schema: contract({
        summary: "An image's nearest neighbours within a set (cosine similarity)",
        tags,
        params: idParams('id'),
        querystring: {
          type: 'object',
          required: ['imageId'],
          properties: { imageId: schemaRef('Id'), k: { type: 'integer', minimum: 1, maximum: 100, default: 10 } },
        },
        responses: { 200: schemaRef('Neighbors', 'the k nearest') },
        errors: [...NOT_READY, 'IMAGE_NOT_IN_SET'],
      }),
    },
    async (request) => {
      const set = await readyEmbeddingSet(pool, tenantOf(request), request.params.id);
      const neighbors = await neighborsOf(blobs, hotSets, set, request.query.imageId, Math.min(request.query.k, set.count));
      if (!neighbors) throw errors.IMAGE_NOT_IN_SET(request.query.imageId, set.id);
      return { embeddingSetId: set.id, imageId: request.query.imageId, items: neighbors.map(({ imageId, label, similarity }) => ({ imageId, label, similarity })) };
    },
  );

  app.post<{ Params: { id: string }; Querystring: { checkpoint?: string } }>(
    '/jobs/:id/embed',
    {
      schema: contract({
        summary: 'Embed a few images now (multipart/form-data, at most 16) with a cached model',
        description: 'The same format allow-list, pixel limit and decode budget as ingest; for many images, compute an embedding set.',
        tags,
        params: idParams('id'),
        querystring: { type: 'object', properties: { checkpoint: schemaRef('Id', "a checkpoint id; default the job's latest") } },
        responses: { 200: schemaRef('EmbedResult', 'one vector per image, in the order sent') },
        errors: [
          'JOB_NOT_FOUND', 'CHECKPOINT_NOT_FOUND', 'JOB_NOT_READY', 'UNSUPPORTED_MEDIA_TYPE', 'NO_IMAGES', 'FILE_TOO_LARGE', 'TOO_MANY_IMAGES',
          'TOO_MANY_FILES', 'NOT_AN_IMAGE', 'UNSUPPORTED_FORMAT', 'CORRUPT_IMAGE', 'IMAGE_TOO_LARGE',
        ],
      }),
    },
    async (request) => {
      if (!request.isMultipart()) throw errors.UNSUPPORTED_MEDIA_TYPE('send images as multipart/form-data');
      const { job, checkpoint } = await modelCheckpoint(db, tenantOf(request), request.params.id, request.query.checkpoint);
      const uploads: Array<{ name: string; bytes: Buffer }> = [];
      for await (const part of request.files()) {
        const bytes = await readAll(part.file);
        if (part.file.truncated) throw errors.FILE_TOO_LARGE(part.filename);
        if (uploads.length === MAX_EMBED_IMAGES) throw errors.TOO_MANY_IMAGES(MAX_EMBED_IMAGES);
        uploads.push({ name: part.filename, bytes });
      }
      if (!uploads.length) throw errors.NO_IMAGES();
      const config = jobTrainingConfig(job.config);
      // decoded before any model is loaded: a bad image costs no engine time
      const spec = decodeSpecOf(config);
      const size = decodedBytes(spec);
      const pixels = new Uint8Array(uploads.length * size);
      for (const [i, upload] of uploads.entries()) {
        // the same format allow-list, pixel limit and decode budget as ingest
        const probe = await probeImage(upload.bytes, services.config.ingest);
        if (!probe.ok) {
          throw errors[probe.reason](upload.name).with([{ field: upload.name, message: probe.reason }]);
        }
        try {
          pixels.set(await withDecodeBudget(probe.width * probe.height, () => decodeImage(upload.bytes, spec)), i * size);
        } catch (err) {
          request.log.info({ err, name: upload.name }, 'embed: image failed to decode');
          throw errors.CORRUPT_IMAGE(upload.name).with([{ field: upload.name, message: errors.CORRUPT_IMAGE.code }]);
        }
      }
      return models.with(
        `${job.id}:${checkpoint.id}`,
        () => openFrozenModel(blobs, { config, checkpointKey: checkpoint.s3Key }),
        async (model) => {
          const vectors = await model.features(pixels, uploads.length);
          return {
            jobId: job.id,
            checkpointId: checkpoint.id,
            dim: model.featureDim,
            items: uploads.map((u, i) => ({ name: u.name, vector: Array.from(vectors.subarray(i * model.featureDim, (i + 1) * model.featureDim)) })),
          };
        },
      );
    },
  );
}
