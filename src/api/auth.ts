// Bearer-key authentication. Decorates each request with its tenant; every data access below is
// scoped by that tenant id, so a foreign id simply does not exist (404, never 403).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKeyRows } from '../domain/apiKeyCache.ts';
import { AppError } from '../domain/errors.ts';
import { authenticate, type Principal } from '../domain/tenants.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function bearerKey(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** Resolves an Authorization header to a principal or throws 401. */
export async function requirePrincipal(keys: ApiKeyRows, header: string | undefined): Promise<Principal> {
  const key = bearerKey(header);
  if (!key) throw new AppError(401, 'UNAUTHENTICATED', 'missing "Authorization: Bearer <api key>" header');
  const principal = await authenticate(keys, key);
  if (!principal) throw new AppError(401, 'INVALID_API_KEY', 'the API key is not valid');
  return principal;
}

export function tenantOf(request: FastifyRequest): string {
  if (!request.principal) throw new AppError(401, 'UNAUTHENTICATED', 'authentication required');
  return request.principal.tenantId;
}

async function auth(app: FastifyInstance, opts: { keys: ApiKeyRows }) {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/v1/') && request.url !== '/v1') return;
    request.principal = await requirePrincipal(opts.keys, request.headers.authorization);
  });
}

export const authPlugin = fp(auth, { name: 'auth' });
