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
import { discardRest } from '../ingest/streams.ts';
import { ingestMultipart } from '../ingest/multipart.ts';
import { completeDirectUpload, createDirectUpload, type UploadFileRequest } from '../ingest/directUpload.ts';
import { importPrefix, resolveImportPrefix } from '../ingest/prefixImport.ts';
import { CONTENT_TYPES } from '../ingest/imageProbe.ts';
import { contract, idParams, noContent, type ErrorRef } from './contract.ts';
import { schemaRef } from './schemas.ts';

const ARCHIVE_CONTENT_TYPES = ['application/x-tar', 'application/gzip', 'application/x-gzip', 'application/octet-stream'];

const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
  cursor: schemaRef('Cursor'),
} as const;

const tags = ['datasets'];
const ingested = { 200: schemaRef('IngestResult', 'nothing was added (every file a duplicate or skipped)'), 201: schemaRef('IngestResult', 'at least one image was added') };
// an upload over a quota adds its images in batches; the refused batch is not added, and the error's
// details carry the counts of what was
const INGEST_ERRORS: ErrorRef[] = ['DATASET_NOT_FOUND', 'QUOTA_EXCEEDED@403'];

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

// an oversize file becomes a FILE_TOO_LARGE skip, not a failed request (the plugin reads this per
// call; its types only list it as a plugin option)
// how much of a refused archive's body is read (and dropped) so that the client gets the answer
const DISCARD_AFTER_REFUSAL = { maxBytes: 64 * 1024 * 1024, maxMs: 10_000 };
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
      schema: contract({
        summary: 'Create a dataset',
        tags,
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            description: { type: ['string', 'null'], maxLength: 2000 },
          },
        },
        responses: { 201: schemaRef('Dataset', 'created') },
        errors: ['QUOTA_EXCEEDED@403'],
      }),
    },
    async (request, reply) => reply.status(201).send(await createDataset(opts.services, tenantOf(request), request.body)),
  );

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/datasets',
    {
      schema: contract({
        summary: "The caller's datasets, newest first",
        tags,
        querystring: { type: 'object', additionalProperties: false, properties: pageQuery },
        responses: { 200: schemaRef('DatasetPage', 'one page') },
        errors: ['INVALID_CURSOR'],
      }),
    },
    async (request) => listDatasets(pool, tenantOf(request), request.query),
  );

  app.get<{ Params: { id: string } }>(
    '/datasets/:id',
    {
      schema: contract({
        summary: 'A dataset with its image count and label histogram',
        tags,
        params: idParams('id'),
        responses: { 200: schemaRef('DatasetDetail', 'the dataset') },
        errors: ['DATASET_NOT_FOUND'],
      }),
    },
    async (request) => describeDataset(db, tenantOf(request), request.params.id),
  );

  const deleteSchema = contract({
    summary: 'Delete a dataset, its images and the stored bytes no other dataset shares',
    tags,
    params: idParams('id'),
    responses: { 204: noContent('deleted') },
    errors: ['DATASET_NOT_FOUND', 'DATASET_IN_USE'],
  });
  app.delete<{ Params: { id: string } }>('/datasets/:id', { schema: deleteSchema }, async (request, reply) => {
    await deleteDataset(opts.services, tenantOf(request), request.params.id);
    return reply.status(204).send();
  });

  app.get<{ Params: { id: string }; Querystring: { limit: number; cursor?: string; label?: string } }>(
    '/datasets/:id/images',
    {
      schema: contract({
        summary: "A dataset's images in id order, optionally of one label",
        tags,
        params: idParams('id'),
        querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuery, label: schemaRef('Label') } },
        responses: { 200: schemaRef('ImagePage', 'one page') },
        errors: ['DATASET_NOT_FOUND', 'INVALID_CURSOR'],
      }),
    },
    async (request) => listImages(db, tenantOf(request), request.params.id, request.query),
  );

  const archiveSchema = contract({
    summary: 'Upload a .tar or .tar.gz of images (streamed; folders are labels)',
    description: `The body is the archive itself, as ${ARCHIVE_CONTENT_TYPES.join(', ')}. The folder directly holding an image is its label and the folder above that its split (\`train/cat/x.png\`: label cat, split train); top-level files are unlabeled. Files that are not images this service accepts are skipped with a reason, not refused.`,
    tags,
    params: idParams('id'),
    responses: ingested,
    errors: [...INGEST_ERRORS, 'UNSUPPORTED_MEDIA_TYPE', 'EMPTY_ARCHIVE', 'INVALID_ARCHIVE', 'ARCHIVE_TOO_LARGE', 'TOO_MANY_ENTRIES'],
  });
  app.post<{ Params: { id: string } }>('/datasets/:id/archive', { schema: archiveSchema }, async (request, reply) => {
    const body = request.body as Readable | undefined;
    if (!body || typeof body.pipe !== 'function') {
      throw errors.UNSUPPORTED_MEDIA_TYPE(`send the archive as one of ${ARCHIVE_CONTENT_TYPES.join(', ')}`);
    }
    try {
      return sendIngest(reply, await ingestInto(request, (sink) => ingestTar(body, sink, config.ingest)));
    } finally {
      // an answer before the whole body was read (limits, bad archive): the client reads it once it
      // has sent the rest, so take a bounded rest; past the bound, close rather than keep the
      // connection alive with a body still streaming in
      if (!(await discardRest(body, DISCARD_AFTER_REFUSAL))) reply.header('connection', 'close');
    }
  });

  const multipartSchema = contract({
    summary: 'Upload images as multipart/form-data',
    description: 'One file part per image; a `label` field before a file part labels the files after it. Oversize files are skipped (FILE_TOO_LARGE), not refused.',
    tags,
    params: idParams('id'),
    responses: ingested,
    errors: [...INGEST_ERRORS, 'UNSUPPORTED_MEDIA_TYPE', 'TOO_MANY_FILES', 'TOO_MANY_PARTS'],
  });
  app.post<{ Params: { id: string } }>('/datasets/:id/images', { schema: multipartSchema }, async (request, reply) => {
    if (!request.isMultipart()) throw errors.UNSUPPORTED_MEDIA_TYPE('send images as multipart/form-data');
    const result = await ingestInto(request, (sink) => ingestMultipart(request.parts(MULTIPART_OPTIONS), sink));
    return sendIngest(reply, result);
  });

  app.post<{ Params: { id: string }; Body: { files: UploadFileRequest[] } }>(
    '/datasets/:id/uploads',
    {
      schema: contract({
        summary: 'Start a direct upload: presigned PUT URLs, one per file',
        description: 'PUT each file to its URL (with the headers given), then POST .../uploads/{uploadId}/complete.',
        tags,
        params: idParams('id'),
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
                  name: { type: 'string', minLength: 1, maxLength: 1024, description: 'a folder in the name is the label, as in an archive' },
                  label: { anyOf: [schemaRef('Label'), { type: 'null' }] },
                  contentType: { type: 'string', enum: Object.values(CONTENT_TYPES) },
                },
              },
            },
          },
        },
        responses: { 201: schemaRef('DirectUpload', 'where to PUT each file') },
        errors: ['DATASET_NOT_FOUND'],
      }),
    },
    async (request, reply) => {
      const dataset = await getDataset(db, tenantOf(request), request.params.id);
      return reply.status(201).send(await createDirectUpload({ db, blobs }, dataset.id, request.body.files));
    },
  );

  app.post<{ Params: { id: string; uploadId: string } }>(
    '/datasets/:id/uploads/:uploadId/complete',
    {
      schema: contract({
        summary: 'Complete a direct upload: ingest what was PUT',
        description: 'Files never PUT are skipped as NOT_UPLOADED; bytes are checked against their content address.',
        tags,
        params: idParams('id', 'uploadId'),
        responses: ingested,
        errors: [...INGEST_ERRORS, 'UPLOAD_NOT_FOUND', 'UPLOAD_IN_PROGRESS', 'UPLOAD_EXPIRED'],
      }),
    },
    async (request, reply) => {
      const dataset = await getDataset(db, tenantOf(request), request.params.id);
      return sendIngest(reply, await completeDirectUpload(deps, dataset.id, request.params.uploadId));
    },
  );

  app.post<{ Params: { id: string }; Body: { prefix: string } }>(
    '/datasets/:id/import',
    {
      schema: contract({
        summary: "Import the images under an S3 prefix of the tenant's own namespace",
        description: 'The prefix is relative to `imports/<tenantId>/` in the service bucket; nothing outside it is read or named.',
        tags,
        params: idParams('id'),
        body: {
          type: 'object',
          required: ['prefix'],
          additionalProperties: false,
          properties: { prefix: { type: 'string', minLength: 1, maxLength: 1024 } },
        },
        responses: ingested,
        errors: [...INGEST_ERRORS, 'INVALID_PREFIX', 'PREFIX_FORBIDDEN', 'PREFIX_NOT_FOUND', 'TOO_MANY_ENTRIES'],
      }),
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
