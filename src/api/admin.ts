// /v1/admin: tenants and their API keys, for keys with the `admin` scope (checked in auth.ts).
// Admin routes are not tenant-scoped: an admin manages every tenant.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { errors } from '../errors/catalogue.ts';
import { createApiKey, listApiKeys, revokeApiKey, rotateApiKey, type NewKeyRequest } from '../domain/apiKeys.ts';
import { createTenantRecord, describeTenant, listTenants, updateTenant, type QuotaChanges } from '../domain/tenantAdmin.ts';
import { deleteTenant } from '../domain/deletion.ts';
import { QUOTA_NAMES } from '../domain/quotas.ts';
import { SCOPES } from '../domain/tenants.ts';
import { tenantOf } from './auth.ts';

const id = { type: 'string', minLength: 1, maxLength: 100 } as const;
const tenantParams = { type: 'object', required: ['id'], properties: { id } } as const;
const keyParams = { type: 'object', required: ['id', 'keyId'], properties: { id, keyId: id } } as const;
const name = { type: 'string', minLength: 1, maxLength: 200 } as const;

const quotaChanges = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(QUOTA_NAMES.map((q) => [q, { type: ['integer', 'null'], minimum: 0 }])),
} as const;

const keyBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name,
    scopes: { type: 'array', minItems: 1, maxItems: SCOPES.length, uniqueItems: true, items: { enum: SCOPES } },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export async function adminRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { db } = services;

  app.post<{ Body: { name: string; quotas?: QuotaChanges } }>(
    '/admin/tenants',
    { schema: { body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name, quotas: quotaChanges } } } },
    async (request, reply) => {
      const tenant = await createTenantRecord(db, request.body);
      return reply.status(201).header('Location', `/v1/admin/tenants/${tenant.id}`).send(tenant);
    },
  );

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/admin/tenants',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, cursor: { type: 'string', minLength: 1, maxLength: 500 } },
        },
      },
    },
    async (request) => listTenants(db, request.query),
  );

  app.get<{ Params: { id: string } }>('/admin/tenants/:id', { schema: { params: tenantParams } }, async (request) =>
    describeTenant(services, request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: { name?: string; quotas?: QuotaChanges } }>(
    '/admin/tenants/:id',
    { schema: { params: tenantParams, body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name, quotas: quotaChanges } } } },
    async (request) => updateTenant(db, request.params.id, request.body),
  );

  app.delete<{ Params: { id: string } }>('/admin/tenants/:id', { schema: { params: tenantParams } }, async (request, reply) => {
    // an admin deleting its own tenant would lock itself out mid-request
    if (request.params.id === tenantOf(request)) throw errors.CANNOT_DELETE_OWN_TENANT();
    await deleteTenant(services, request.params.id);
    return reply.status(204).send();
  });

  app.post<{ Params: { id: string }; Body: NewKeyRequest }>(
    '/admin/tenants/:id/keys',
    {
      schema: { params: tenantParams, body: keyBody },
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

  app.get<{ Params: { id: string } }>('/admin/tenants/:id/keys', { schema: { params: tenantParams } }, async (request) =>
    listApiKeys(db, request.params.id),
  );

  app.post<{ Params: { id: string; keyId: string } }>('/admin/tenants/:id/keys/:keyId/revoke', { schema: { params: keyParams } }, async (request) =>
    revokeApiKey(db, request.params.id, request.params.keyId),
  );

  app.post<{ Params: { id: string; keyId: string } }>(
    '/admin/tenants/:id/keys/:keyId/rotate',
    { schema: { params: keyParams } },
    async (request, reply) => reply.status(201).send(await rotateApiKey(db, request.params.id, request.params.keyId)),
  );
}
