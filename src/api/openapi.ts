// The OpenAPI document, generated from the routes (@fastify/swagger, dynamic mode): their summaries,
// tags and schemas, the shared schemas of schemas.ts as components, and the error codes of the
// catalogue. Served as JSON at /docs/json with Swagger UI at /docs; `npm run openapi` writes it to
// openapi/openapi.json, which a test keeps equal to what the routes say.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { DEFAULT_QUOTAS } from '../domain/quotas.ts';
import { TTL_MS } from '../domain/apiKeyCache.ts';
import { GRAPHQL_LIMITS } from '../graphql/limits.ts';
import { errorResponses } from './contract.ts';

const DESCRIPTION = `SimSiam self-supervised pretraining as a service. This document is generated from the routes
(\`npm run openapi\`); the typed client in src/client is generated from it (\`npm run client\`).

Every \`/v1\` route takes \`Authorization: Bearer <api key>\`. Errors always have the shape
\`{"error": {"code": "...", "message": "...", "details": ...}}\`. The codes are the enum of the Error schema;
each operation lists, per status, the codes it may answer.

**Scopes.** A key carries any of \`read\`, \`write\`, \`admin\`. GET routes need \`read\`, every other \`/v1\`
route needs \`write\`, and \`/v1/admin/...\` needs \`admin\` (403 \`INSUFFICIENT_SCOPE\` otherwise). GraphQL
needs \`read\`. The bootstrap key (\`BOOTSTRAP_API_KEY\`, or the embedded default's key) has all three. An
expired key answers 401 \`API_KEY_EXPIRED\`, a revoked one 401 \`INVALID_API_KEY\`. Revocation takes effect at
once on the replica that answered it and, on the others, as soon as PostgreSQL delivers the change (keys are
cached for at most ${TTL_MS / 1000} s, and evicted on change).

**Quotas.** Each tenant has limits (\`GET /v1/usage\`; an admin sets them with \`PATCH /v1/admin/tenants/{id}\`):
${Object.entries(DEFAULT_QUOTAS)
  .map(([name, value]) => `\`${name}\` (default ${value})`)
  .join(', ')}. Over \`storageBytes\`, \`images\` or \`datasets\` a request is refused with 403, over
\`activeJobs\`, \`concurrentTasks\` or \`trainingMinutesPerMonth\` with 429; the code is \`QUOTA_EXCEEDED\` with
\`details: {quota, used, limit, requested}\`. A request over a quota adds nothing; an upload adds its images
in batches, and the batch that would pass the quota is refused whole.

**Rate limits.** Every key may make \`RATE_LIMIT_MAX\` requests (default 1000) per \`RATE_LIMIT_WINDOW_MS\`
(default 60 s) to \`/v1\` and \`/graphql\`; counts are shared through Redis when \`REDIS_URL\` is set. Over it:
429 \`RATE_LIMITED\` with a \`Retry-After\` header (seconds). Responses carry \`x-ratelimit-limit\`,
\`x-ratelimit-remaining\` and \`x-ratelimit-reset\`.

**GraphQL** at \`/graphql\`: see that operation.`;

const GRAPHQL_DESCRIPTION = `The same jobs and datasets as REST (read-only), evaluations, and live job updates. Queries over
HTTP (POST, or GET with the query in the URL); subscriptions over WebSocket at the same path
(\`graphql-transport-ws\`), the key in \`connection_init\`'s payload as \`{"Authorization": "Bearer <key>"}\`.
Needs the \`read\` scope. Errors carry the catalogue's code in \`errors[].extensions.code\`; internal errors
answer \`INTERNAL\` with a fixed message.

Limits, checked before an operation runs (refused with 400):
- depth at most ${GRAPHQL_LIMITS.depth} (\`QUERY_TOO_DEEP\`);
- at most ${GRAPHQL_LIMITS.aliases} aliases (\`TOO_MANY_ALIASES\`);
- cost at most ${GRAPHQL_LIMITS.cost} (\`QUERY_TOO_COMPLEX\`): every field costs 1, a list field its page size times
  its children's cost (subscriptions are costed at the largest page sizes);
- at most ${GRAPHQL_LIMITS.subscriptionsPerConnection} subscriptions per WebSocket connection (\`TOO_MANY_SUBSCRIPTIONS\`).

Rate limits count GraphQL requests as REST ones (429 \`RATE_LIMITED\`).`;

const graphqlRequest = {
  type: 'object',
  required: ['query'],
  properties: {
    query: { type: 'string' },
    variables: { type: ['object', 'null'], additionalProperties: true },
    operationName: { type: ['string', 'null'] },
  },
};

const graphqlResponse = {
  type: 'object',
  description: 'data, and errors when any field failed',
  properties: {
    data: { type: ['object', 'null'], additionalProperties: true },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['message'],
        properties: {
          message: { type: 'string' },
          path: { type: 'array', items: { type: ['string', 'integer'] } },
          extensions: { type: 'object', properties: { code: { $ref: 'ErrorCode#' } }, additionalProperties: true },
        },
      },
    },
  },
};

/** /graphql is mercurius's route: its documentation is added here. */
function graphqlOperation(method: string) {
  return {
    summary: method === 'GET' ? 'A GraphQL query, in the URL' : 'A GraphQL query or mutation',
    description: GRAPHQL_DESCRIPTION,
    tags: ['graphql'],
    ...(method === 'GET'
      ? { querystring: { type: 'object', required: ['query'], properties: { query: { type: 'string' }, variables: { type: 'string', description: 'JSON' }, operationName: { type: 'string' } } } }
      : { body: graphqlRequest }),
    response: {
      200: { ...graphqlResponse, description: 'the result (resolver errors included)' },
      400: { ...graphqlResponse, description: 'refused before it ran: QUERY_TOO_DEEP, TOO_MANY_ALIASES, QUERY_TOO_COMPLEX, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT' },
      ...errorResponses(['UNAUTHENTICATED', 'INVALID_API_KEY', 'API_KEY_EXPIRED@401', 'INSUFFICIENT_SCOPE', 'RATE_LIMITED']),
    },
  };
}

type Json = Record<string, unknown>;

export const SWAGGER_OPTIONS: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: { title: 'simsiam-service', version: '0.1.0', description: DESCRIPTION },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    tags: [
      { name: 'datasets', description: 'datasets and the four ways images get in' },
      { name: 'jobs', description: 'training jobs, their metrics and checkpoints' },
      { name: 'artifacts', description: 'checkpoints, tfjs models, PyTorch and ONNX exports' },
      { name: 'embeddings', description: 'embedding sets, vectors, nearest neighbours' },
      { name: 'evaluations', description: 'linear probes and their baselines' },
      { name: 'experiments', description: 'comparisons of runs and seeds in one request, with their table' },
      { name: 'usage', description: 'quotas and usage' },
      { name: 'admin', description: 'tenants and API keys (admin scope)' },
      { name: 'health', description: 'probes for load balancers (no key)' },
      { name: 'graphql', description: 'GraphQL queries and subscriptions' },
    ],
  },
  // only the documented API: /ui, /docs, /graphiql and /metrics carry no tags
  hideUntagged: true,
  // components are named by the shared schemas' $id
  refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  transform: ({ schema, url, route }) => ({ schema: url === '/graphql' ? (graphqlOperation(String(route.method)) as never) : schema, url }),
  transformObject: (documents) => {
    const document = ('openapiObject' in documents ? documents.openapiObject : documents.swaggerObject) as Json;
    // validated in the domain and serialized free-form (see schemas.ts), documented as what they are
    const schemas = (document.components as Json).schemas as Record<string, { properties: Json }>;
    for (const name of ['Job', 'CreateJobRequest']) {
      const config = schemas[name]!.properties.config as Json;
      schemas[name]!.properties.config = { $ref: '#/components/schemas/TrainingConfig', description: config.description };
    }
    return document as never;
  },
};

async function openapi(app: FastifyInstance) {
  await app.register(swagger, SWAGGER_OPTIONS);
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

export const openapiPlugin = fp(openapi, { name: 'openapi' });
