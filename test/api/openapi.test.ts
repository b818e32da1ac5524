// The OpenAPI document is generated from the routes (npm run openapi) and committed as
// openapi/openapi.json: this test fails when the committed file is not what the routes say now, when
// a served route is missing from it, when an operation lacks its summary, tags or error responses,
// or when it is not a structurally sound 3.1 document (every $ref resolves, every path parameter
// declared, every error code one of the catalogue's).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { documentText, generateOpenApiDocument, loadOpenApiDocument } from '../../src/api/openapiDocument.ts';
import { trainingConfigSchema } from '../../src/domain/trainingConfig.ts';
import { ERROR_CODES, errors } from '../../src/errors/catalogue.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
// the REST surface the document covers; /docs, /graphql and /graphiql describe themselves
const IN_CONTRACT = (path: string) => path === '/healthz' || path === '/readyz' || path === '/v1' || path.startsWith('/v1/');

type Json = Record<string, unknown>;

/**
 * Every (METHOD path) the app serves, from `printRoutes({commonPrefix: false})`: a tree whose lines
 * are `<branches><segment> (<METHODS>)`, each segment continuing its parent's path. HEAD routes that
 * Fastify adds for every GET are dropped.
 */
function servedRoutes(app: FastifyInstance): Set<string> {
  const routes = new Set<string>();
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([\s│├└─]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const path = stack.join('');
    for (const method of match[3]!.split(', ')) {
      if (method !== 'HEAD') routes.add(`${method} ${path}`);
    }
  }
  return routes;
}

const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');
const toFastifyPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

function documentedRoutes(doc: Json): Set<string> {
  const routes = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const method of METHODS) if (item[method]) routes.add(`${method.toUpperCase()} ${path}`);
  }
  return routes;
}

/** Resolves a local JSON pointer such as `#/components/schemas/Job`. */
function resolvePointer(doc: Json, ref: string): unknown {
  assert.ok(ref.startsWith('#/'), `only local $refs are used: ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Json)[key] : undefined), doc);
}

const deref = (doc: Json, node: Json): Json => (typeof node.$ref === 'string' ? (resolvePointer(doc, node.$ref) as Json) : node);

function* walk(node: unknown, at: string): Generator<[string, Json]> {
  if (!node || typeof node !== 'object') return;
  yield [at, node as Json];
  for (const [key, child] of Object.entries(node)) yield* walk(child, `${at}/${key}`);
}

describe('openapi/openapi.json', () => {
  let env: TestEnv;
  let doc: Json;
  before(async () => {
    env = await createTestEnv();
    doc = loadOpenApiDocument();
  });
  after(async () => env.close());

  it('is what the routes generate now', async () => {
    const generated = documentText(await generateOpenApiDocument());
    assert.ok(generated === documentText(doc), 'openapi/openapi.json is stale: run `npm run openapi` (then `npm run client`) and commit both files');
  });

  it('gives every operation a summary, tags, its responses and its error codes', () => {
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const method of METHODS) {
        const op = item[method] as Json | undefined;
        if (!op) continue;
        const where = `${method.toUpperCase()} ${path}`;
        assert.ok(typeof op.summary === 'string' && op.summary.length > 0, `${where}: summary`);
        assert.ok(Array.isArray(op.tags) && op.tags.length > 0, `${where}: tags`);
        const responses = op.responses as Record<string, Json>;
        assert.ok(Object.keys(responses).some((s) => s.startsWith('2')), `${where}: a success response`);
        if (path.startsWith('/v1')) {
          for (const status of ['401', '403', '429']) assert.ok(responses[status], `${where}: ${status}`);
          assert.ok(responses['429']!.headers && (responses['429']!.headers as Json)['Retry-After'], `${where}: 429 names Retry-After`);
        }
        if (op.requestBody || (op.parameters as Json[] | undefined)?.length) assert.ok(responses['400'], `${where}: 400`);
        for (const [status, response] of Object.entries(responses)) {
          // an error answer lists its codes; a non-error body at an error status (/readyz's 503 Health) has none
          const isError = JSON.stringify(response.content ?? {}).includes('"#/components/schemas/Error"');
          if (!/^[45]/.test(status) || path === '/graphql' || !isError) continue;
          const codes = [...String(response.description).matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!);
          assert.ok(codes.length > 0, `${where} ${status}: lists its codes`);
          for (const code of codes) {
            assert.ok(ERROR_CODES.includes(code as never), `${where} ${status}: ${code} is in the catalogue`);
            assert.ok(errors[code as keyof typeof errors].statuses.includes(Number(status)), `${where} ${status}: ${code} answers ${status}`);
          }
        }
      }
    }
  });

  it('enumerates the catalogue\'s error codes and documents the limits', () => {
    const schemas = (doc.components as Json).schemas as Json;
    assert.deepEqual((schemas.ErrorCode as Json).enum, ERROR_CODES);
    const info = String((doc.info as Json).description);
    for (const words of ['QUOTA_EXCEEDED', 'RATE_LIMITED', 'Retry-After', '`admin`']) assert.ok(info.includes(words), `info names ${words}`);
    const graphql = String(((doc.paths as Json)['/graphql'] as Json & { post: Json }).post.description);
    for (const code of ['QUERY_TOO_DEEP', 'TOO_MANY_ALIASES', 'QUERY_TOO_COMPLEX', 'TOO_MANY_SUBSCRIPTIONS']) assert.ok(graphql.includes(code), `/graphql names ${code}`);
  });

  it('documents every route the app serves under /v1 and /healthz', () => {
    const documented = documentedRoutes(doc);
    const served = [...servedRoutes(env.app)].filter((r) => IN_CONTRACT(r.split(' ')[1]!));
    assert.ok(served.includes('GET /v1/jobs') && served.includes('GET /healthz'), 'route collection works');
    const missing = served.filter((route) => {
      const [method, path] = route.split(' ');
      return !documented.has(`${method} ${toOpenApiPath(path!)}`);
    });
    assert.deepEqual(missing, [], 'served but not in openapi.json');
  });

  it('lists no route the app does not serve', () => {
    const unserved = [...documentedRoutes(doc)].filter((route) => {
      const [method, path] = route.split(' ');
      return !env.app.hasRoute({ method: method as 'GET', url: toFastifyPath(path!) });
    });
    assert.deepEqual(unserved, [], 'in openapi.json but not served');
  });

  it('is a structurally valid OpenAPI 3.1 document', () => {
    assert.match(String(doc.openapi), /^3\.1\.\d+$/);
    const info = doc.info as Json;
    assert.equal(typeof info?.title, 'string');
    assert.equal(typeof info?.version, 'string');
    const schemes = ((doc.components as Json)?.securitySchemes ?? {}) as Json;
    const operationIds = new Set<string>();

    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      assert.match(path, /^\//, `${path} starts with /`);
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
      for (const method of METHODS) {
        const op = item[method] as Json | undefined;
        if (!op) continue;
        const where = `${method.toUpperCase()} ${path}`;
        if (op.operationId !== undefined) {
          assert.ok(!operationIds.has(op.operationId as string), `${where}: duplicate operationId ${op.operationId}`);
          operationIds.add(op.operationId as string);
        }
        // path parameters: declared on the path item or the operation, exactly the templated ones
        const params = [...((item.parameters as Json[]) ?? []), ...((op.parameters as Json[]) ?? [])].map((p) => deref(doc, p));
        for (const p of params) {
          assert.ok(typeof p.name === 'string' && ['query', 'header', 'path', 'cookie'].includes(p.in as string), `${where}: bad parameter ${JSON.stringify(p)}`);
          if (p.in === 'path') assert.equal(p.required, true, `${where}: path parameter ${p.name} must be required`);
        }
        const declared = params.filter((p) => p.in === 'path').map((p) => p.name as string).sort();
        assert.deepEqual(declared, templated, `${where}: path parameters`);
        const responses = Object.entries((op.responses ?? {}) as Record<string, Json>);
        assert.ok(responses.length > 0, `${where}: has responses`);
        for (const [status, response] of responses) {
          assert.match(status, /^([1-5](\d\d|XX)|default)$/, `${where}: response key ${status}`);
          assert.equal(typeof deref(doc, response).description, 'string', `${where} ${status}: description`);
        }
        for (const requirement of (op.security ?? doc.security ?? []) as Json[]) {
          for (const name of Object.keys(requirement)) assert.ok(schemes[name], `${where}: unknown security scheme ${name}`);
        }
      }
    }
    for (const [at, node] of walk(doc, '#')) {
      if (typeof node.$ref === 'string') assert.notEqual(resolvePointer(doc, node.$ref), undefined, `${at}: $ref ${node.$ref} resolves`);
    }
  });

  it('describes the training config exactly as the API validates it', () => {
    const { $id: _id, ...validated } = trainingConfigSchema;
    // the document may explain fields, and writes a `const` as the one-value `enum` of OpenAPI 3.0;
    // everything else must be what the validator enforces
    const withoutDescriptions = (value: unknown): unknown =>
      JSON.parse(JSON.stringify(value, (key, v) => {
        if (key === 'description') return undefined;
        if (v && typeof v === 'object' && !Array.isArray(v) && 'const' in v) {
          const { const: only, ...rest } = v as Record<string, unknown>;
          return { ...rest, enum: [only] };
        }
        return v;
      }));
    const documented = ((doc.components as Json).schemas as Json).TrainingConfig;
    assert.deepEqual(withoutDescriptions(documented), withoutDescriptions(validated));
  });
});
