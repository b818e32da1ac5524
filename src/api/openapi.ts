// Serves the hand-written OpenAPI document (openapi/openapi.yaml, the REST contract) with Swagger UI
// at /docs. The document is not generated from routes: a test keeps the two in agreement.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import YAML from 'yaml';

export const OPENAPI_PATH = fileURLToPath(new URL('../../openapi/openapi.yaml', import.meta.url));

export function loadOpenApiDocument(): Record<string, unknown> {
  return YAML.parse(fs.readFileSync(OPENAPI_PATH, 'utf8'));
}

async function openapi(app: FastifyInstance) {
  await app.register(swagger, { mode: 'static', specification: { document: loadOpenApiDocument() as never } });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

export const openapiPlugin = fp(openapi, { name: 'openapi' });
