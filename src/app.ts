// buildApp(services) → a fastify instance with every plugin registered but not listening, so tests
// drive it with supertest against real PostgreSQL and S3.
import Fastify, { type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import type { Services } from './services.ts';
import { clientErrorHandler, errorsPlugin, frameworkErrors } from './api/errors.ts';
import { inputHygienePlugin } from './api/inputHygiene.ts';
import { authPlugin } from './api/auth.ts';
import { healthRoutes } from './api/health.ts';
import { openapiPlugin } from './api/openapi.ts';
import { datasetRoutes } from './api/datasets.ts';
import { jobRoutes } from './api/jobs.ts';
import { artifactRoutes } from './api/artifacts.ts';
import { exportRoutes } from './api/exports.ts';
import { embeddingRoutes } from './api/embeddings.ts';
import { evaluationRoutes } from './api/evaluations.ts';
import { experimentRoutes } from './api/experiments.ts';
import { graphqlPlugin } from './graphql/index.ts';
import { thumbnailRoutes } from './api/thumbnails.ts';
import { uiPlugin } from './ui/plugin.ts';
import { genReqId, OneLinePerRequest, requestIdPlugin } from './api/requestId.ts';
import { httpMetricsPlugin } from './metrics/http.ts';
import { rateLimitPlugin } from './api/rateLimit.ts';
import { adminRoutes } from './api/admin.ts';
import { usageRoutes } from './api/usage.ts';
import { registerSchemas } from './api/schemas.ts';

export interface AppOptions {
  logger?: boolean | object;
}

export async function buildApp(services: Services, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? { level: services.config.logLevel },
    // archives stream through their own parser; JSON bodies stay small
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // errors raised before a route runs keep the {error: {code, message}} shape
    frameworkErrors,
    clientErrorHandler,
    genReqId,
    logController: new OneLinePerRequest(),
    // x-backbones: the config fields that apply to some backbones only (engine/backbones/names.ts)
    ajv: { customOptions: { removeAdditional: false, useDefaults: true, coerceTypes: 'array', allErrors: true, keywords: ['x-backbones'] } },
  });
  registerSchemas(app);
  await app.register(requestIdPlugin);
  await app.register(httpMetricsPlugin, { services });
  await app.register(errorsPlugin);
  await app.register(inputHygienePlugin);
  await app.register(multipart, {
    limits: {
      fileSize: services.config.ingest.maxImageBytes,
      files: services.config.ingest.maxFilesPerRequest,
      fields: 20,
    },
  });
  await app.register(openapiPlugin);
  await app.register(healthRoutes, { services });
  await app.register(authPlugin, { keys: services.apiKeys });
  await app.register(rateLimitPlugin, { config: services.config.rateLimit });
  await app.register(datasetRoutes, { prefix: '/v1', services });
  await app.register(jobRoutes, { prefix: '/v1', services });
  await app.register(artifactRoutes, { prefix: '/v1', services });
  await app.register(exportRoutes, { prefix: '/v1', services });
  await app.register(embeddingRoutes, { prefix: '/v1', services });
  await app.register(evaluationRoutes, { prefix: '/v1', services });
  await app.register(experimentRoutes, { prefix: '/v1', services });
  await app.register(thumbnailRoutes, { prefix: '/v1', services });
  await app.register(adminRoutes, { prefix: '/v1', services });
  await app.register(usageRoutes, { prefix: '/v1', services });
  await app.register(graphqlPlugin, { services });
  await app.register(uiPlugin);
  return app;
}
