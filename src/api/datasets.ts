// /v1/datasets: dataset CRUD and the four ways images get in (tar archive, multipart, presigned
// direct upload, S3 prefix import). All four answer {added, duplicates, skipped, skippedCount} from
// the one pipeline in src/ingest/store.ts: 201 when something was added, else 200.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Services } from '../services.ts';
import { tenantOf } from './auth.ts';
import { errors } from '../errors/catalogue.ts';
import {
  createDataset,
  deleteDataset,
  describeDataset,
  getDataset,
  listDatasets,
  listImages,
} from '../domain/datasets.ts';
import { runIngest, type ImageSink, type IngestDeps, type IngestResult } from '../ingest/store.ts';
import { ingestTar } from '../ingest/tarIngest.ts';
import { ingestMultipart } from '../ingest/multipart.ts';
import { completeDirectUpload, createDirectUpload, type UploadFileRequest } from '../ingest/directUpload.ts';
import { importPrefix, resolveImportPrefix } from '../ingest/prefixImport.ts';
import { CONTENT_TYPES } from '../ingest/imageProbe.ts';

const ARCHIVE_CONTENT_TYPES = ['application/x-tar', 'application/gzip', 'application/x-gzip', 'application/octet-stream'];

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
  cursor: { type: 'string', minLength: 1, maxLength: 500 },
} as const;

const label = { type: 'string', minLength: 1, maxLength: 200 } as const;

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

// an oversize file becomes a FILE_TOO_LARGE skip, not a failed request (the plugin reads this per
// call; its types only list it as a plugin option)
const MULTIPART_OPTIONS = { throwFileSizeLimit: false } as Parameters<FastifyRequest['parts']>[0];

function sendIngest(reply: FastifyReply, result: IngestResult) {
  return reply.status(result.added > 0 ? 201 : 200).send(result);
}

export async function datasetRoutes(app: FastifyInstance, opts: { services: Services }) {
  const { db, pool, blobs, config } = opts.services;
  const deps: IngestDeps = { db, pool, blobs, limits: config.ingest };

  /** Checks the dataset is the caller's, then feeds the pipeline. */
  async function ingestInto(request: IdRequest, feed: (sink: ImageSink) => Promise<void>) {
    const dataset = await getDataset(db, tenantOf(request), request.params.id);
    return runIngest(deps, dataset.id, feed);
  }

  // Archives stream straight from the socket to the tar parser: the body is handed over unread.
  // Registered in this plugin's scope only.
  app.addContentTypeParser(ARCHIVE_CONTENT_TYPES, (_request, payload, done) => done(null, payload));

  app.post<{ Body: { name: string; description?: string | null } }>(
    '/datasets',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            description: { type: ['string', 'null'], maxLength: 2000 },
          },
        },
      },
    },
    async (request, reply) => reply.status(201).send(await createDataset(opts.services, tenantOf(request), request.body)),
  );

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/datasets',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: pageQuery } } },
    async (request) => listDatasets(db, tenantOf(request), request.query),
  );

  app.get<{ Params: { id: string } }>('/datasets/:id', { schema: { params: idParams } }, async (request) =>
    describeDataset(db, tenantOf(request), request.params.id),
  );

  app.delete<{ Params: { id: string } }>('/datasets/:id', { schema: { params: idParams } }, async (request, reply) => {
    await deleteDataset(opts.services, tenantOf(request), request.params.id);
    return reply.status(204).send();
  });

  app.get<{ Params: { id: string }; Querystring: { limit: number; cursor?: string; label?: string } }>(
    '/datasets/:id/images',
    {
      schema: {
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuery, label } },
      },
    },
    async (request) => listImages(db, tenantOf(request), request.params.id, request.query),
  );

  app.post<{ Params: { id: string } }>('/datasets/:id/archive', { schema: { params: idParams } }, async (request, reply) => {
    const body = request.body as Readable | undefined;
    if (!body || typeof body.pipe !== 'function') {
      throw errors.UNSUPPORTED_MEDIA_TYPE(`send the archive as one of ${ARCHIVE_CONTENT_TYPES.join(', ')}`);
    }
    try {
      return sendIngest(reply, await ingestInto(request, (sink) => ingestTar(body, sink, config.ingest)));
    } finally {
      // an answer before the whole body was read (limits, bad archive) must not leave the client
      // streaming into a connection that is kept alive
      if (!request.raw.readableEnded) reply.header('connection', 'close');
    }
  });

  app.post<{ Params: { id: string } }>('/datasets/:id/images', { schema: { params: idParams } }, async (request, reply) => {
    if (!request.isMultipart()) throw errors.UNSUPPORTED_MEDIA_TYPE('send images as multipart/form-data');
    const result = await ingestInto(request, (sink) => ingestMultipart(request.parts(MULTIPART_OPTIONS), sink));
    return sendIngest(reply, result);
  });

  app.post<{ Params: { id: string }; Body: { files: UploadFileRequest[] } }>(
    '/datasets/:id/uploads',
    {
      schema: {
        params: idParams,
        body: {
          type: 'object',
          required: ['files'],
          additionalProperties: false,
          properties: {
            files: {
              type: 'array',
              minItems: 1,
              maxItems: config.ingest.maxFilesPerRequest,
              items: {
                type: 'object',
                required: ['name'],
                additionalProperties: false,
                properties: {
                  name: { type: 'string', minLength: 1, maxLength: 1024 },
                  label: { anyOf: [label, { type: 'null' }] },
                  contentType: { type: 'string', enum: Object.values(CONTENT_TYPES) },
                },
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const dataset = await getDataset(db, tenantOf(request), request.params.id);
      return reply.status(201).send(await createDirectUpload({ db, blobs }, dataset.id, request.body.files));
    },
  );

  app.post<{ Params: { id: string; uploadId: string } }>(
    '/datasets/:id/uploads/:uploadId/complete',
    {
      schema: {
        params: {
          type: 'object',
          required: ['id', 'uploadId'],
          properties: { id: idParams.properties.id, uploadId: { type: 'string', minLength: 1, maxLength: 100 } },
        },
      },
    },
    async (request, reply) => {
      const dataset = await getDataset(db, tenantOf(request), request.params.id);
      return sendIngest(reply, await completeDirectUpload(deps, dataset.id, request.params.uploadId));
    },
  );

  app.post<{ Params: { id: string }; Body: { prefix: string } }>(
    '/datasets/:id/import',
    {
      schema: {
        params: idParams,
        body: {
          type: 'object',
          required: ['prefix'],
          additionalProperties: false,
          properties: { prefix: { type: 'string', minLength: 1, maxLength: 1024 } },
        },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      // an unknown or foreign dataset is 404 whatever the prefix
      const dataset = await getDataset(db, tenantId, request.params.id);
      const prefix = resolveImportPrefix(tenantId, request.body.prefix);
      return sendIngest(reply, await runIngest(deps, dataset.id, (sink) => importPrefix(blobs, prefix, sink, config.ingest)));
    },
  );
}
