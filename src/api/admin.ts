// /v1/admin: tenants and their API keys, for keys with the `admin` scope (checked in auth.ts).
// Admin routes are not tenant-scoped: an admin manages every tenant.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { errors } from '../errors/catalogue.ts';
import { createApiKey, listApiKeys, revokeApiKey, rotateApiKey, type NewKeyRequest } from '../domain/apiKeys.ts';
import { createTenantRecord, describeTenant, listTenants, updateTenant, type QuotaChanges } from '../domain/tenantAdmin.ts';
import { deleteTenant } from '../domain/deletion.ts';
import { SCOPES } from '../domain/tenants.ts';
import { tenantOf } from './auth.ts';
import { contract, idParams, noContent } from './contract.ts';
import { schemaRef } from './schemas.ts';

const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
const tags = ['admin'];
const ADMIN = 'Needs an API key with the `admin` scope (403 INSUFFICIENT_SCOPE otherwise). Admin routes are not tenant-scoped.';

const keyBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name,
    scopes: { type: 'array', minItems: 1, maxItems: SCOPES.length, uniqueItems: true, items: schemaRef('Scope'), description: 'default read, write' },
    expiresAt: { type: ['string', 'null'], format: 'date-time', description: 'in the future; absent or null: never expires' },
  },
} as const;

const adminRoute = (summary: string, spec: Omit<Parameters<typeof contract>[0], 'summary' | 'tags'>) =>
  contract({ ...spec, summary, tags, description: spec.description ? `${spec.description} ${ADMIN}` : ADMIN });

export async function adminRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { db, apiKeys } = services;
  // a key change must hold on this replica's next request, before its NOTIFY comes back
  const keysChanged = <T>(result: T): T => {
    apiKeys.flush();
    return result;
  };

  app.post<{ Body: { name: string; quotas?: QuotaChanges } }>(
    '/admin/tenants',
    {
      schema: adminRoute('Create a tenant', {
        body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name, quotas: schemaRef('QuotaChanges') } },
        responses: { 201: schemaRef('Tenant', 'created; Location names it') },
      }),
    },
    async (request, reply) => {
      const tenant = await createTenantRecord(db, request.body);
      return reply.status(201).header('Location', `/v1/admin/tenants/${tenant.id}`).send(tenant);
    },
  );

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/admin/tenants',
    {
      schema: adminRoute('Every tenant, newest first', {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, cursor: schemaRef('Cursor') },
        },
        responses: { 200: schemaRef('TenantPage', 'one page') },
        errors: ['INVALID_CURSOR'],
      }),
    },
    async (request) => listTenants(db, request.query),
  );

  const readSchema = adminRoute('A tenant with its quotas and usage', {
    params: idParams('id'),
    responses: { 200: schemaRef('TenantDetail', 'the tenant') },
    errors: ['TENANT_NOT_FOUND'],
  });
  app.get<{ Params: { id: string } }>('/admin/tenants/:id', { schema: readSchema }, async (request) =>
    describeTenant(services, request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: { name?: string; quotas?: QuotaChanges } }>(
    '/admin/tenants/:id',
    {
      schema: adminRoute("Rename a tenant or change its quotas", {
        params: idParams('id'),
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name, quotas: schemaRef('QuotaChanges') } },
        responses: { 200: schemaRef('Tenant', 'the tenant after the change') },
        errors: ['TENANT_NOT_FOUND'],
      }),
    },
    async (request) => updateTenant(db, request.params.id, request.body),
  );

  const deleteSchema = adminRoute('Delete a tenant, its keys and all its data', {
    description: 'Its running jobs are cancelled first.',
    params: idParams('id'),
    responses: { 204: noContent('deleted') },
    errors: ['TENANT_NOT_FOUND', 'CANNOT_DELETE_OWN_TENANT', 'JOB_STILL_RUNNING', 'EMBEDDINGS_RUNNING'],
  });
  app.delete<{ Params: { id: string } }>('/admin/tenants/:id', { schema: deleteSchema }, async (request, reply) => {
    // an admin deleting its own tenant would lock itself out mid-request
    if (request.params.id === tenantOf(request)) throw errors.CANNOT_DELETE_OWN_TENANT();
    keysChanged(await deleteTenant(services, request.params.id));
    return reply.status(204).send();
  });

  app.post<{ Params: { id: string }; Body: NewKeyRequest }>(
    '/admin/tenants/:id/keys',
    {
      schema: adminRoute('Create an API key for a tenant (the secret is shown only in this answer)', {
        description: 'Every field has a default: an empty body makes a read+write key that never expires.',
        params: idParams('id'),
        body: keyBody,
        responses: { 201: schemaRef('NewApiKey', 'the key and its secret') },
        errors: ['TENANT_NOT_FOUND', 'INVALID_EXPIRY'],
      }),
      // every field has a default: no body at all is a request for a default key
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const key = await createApiKey(db, request.params.id, request.body);
      return reply.status(201).send(key);
    },
  );

  const listKeysSchema = adminRoute("A tenant's API keys (never their secrets)", {
    params: idParams('id'),
    responses: { 200: schemaRef('ApiKeyList', 'the keys, oldest first') },
    errors: ['TENANT_NOT_FOUND'],
  });
  app.get<{ Params: { id: string } }>('/admin/tenants/:id/keys', { schema: listKeysSchema }, async (request) =>
    listApiKeys(db, request.params.id),
  );

  const revokeSchema = adminRoute('Revoke an API key (idempotent; takes effect at once here, and on other replicas when PostgreSQL delivers the change)', {
    params: idParams('id', 'keyId'),
    responses: { 200: schemaRef('ApiKey', 'the key, revoked') },
    errors: ['TENANT_NOT_FOUND', 'API_KEY_NOT_FOUND'],
  });
  app.post<{ Params: { id: string; keyId: string } }>('/admin/tenants/:id/keys/:keyId/revoke', { schema: revokeSchema }, async (request) =>
    keysChanged(await revokeApiKey(db, request.params.id, request.params.keyId)),
  );

  app.post<{ Params: { id: string; keyId: string } }>(
    '/admin/tenants/:id/keys/:keyId/rotate',
    {
      schema: adminRoute('Rotate an API key: a new secret with the same name, scopes and expiry; the old key is revoked', {
        params: idParams('id', 'keyId'),
        responses: { 201: schemaRef('NewApiKey', 'the new key and its secret; `replaces` names the old one') },
        errors: ['TENANT_NOT_FOUND', 'API_KEY_NOT_FOUND', 'API_KEY_EXPIRED@409', 'API_KEY_REVOKED'],
      }),
    },
    async (request, reply) => reply.status(201).send(keysChanged(await rotateApiKey(db, request.params.id, request.params.keyId))),
  );
}
