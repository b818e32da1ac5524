// Bearer-key authentication. Decorates each request with its tenant; every data access below is
// scoped by that tenant id, so a foreign id simply does not exist (404, never 403). Then the scope
// check: /v1/admin needs `admin`, reads (GET, HEAD) need `read`, everything else needs `write`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKeyRows } from '../domain/apiKeyCache.ts';
import { errors } from '../errors/catalogue.ts';
import { authenticate, type Principal, type Scope } from '../domain/tenants.ts';

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
  if (!key) throw errors.UNAUTHENTICATED('missing "Authorization: Bearer <api key>" header');
  const principal = await authenticate(keys, key);
  if (!principal) throw errors.INVALID_API_KEY();
  if (principal.expiresAt && principal.expiresAt.getTime() <= Date.now()) {
    throw errors.API_KEY_EXPIRED(principal.keyId, principal.expiresAt.toISOString());
  }
  return principal;
}

export function requireScope(principal: Principal, scope: Scope): void {
  if (!principal.scopes.includes(scope)) {
    throw errors.INSUFFICIENT_SCOPE(scope).with({ required: scope, scopes: principal.scopes });
  }
}

/** The scope a REST request needs. */
export function scopeFor(method: string, url: string): Scope {
  if (url === '/v1/admin' || url.startsWith('/v1/admin/') || url.startsWith('/v1/admin?')) return 'admin';
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

export function tenantOf(request: FastifyRequest): string {
  if (!request.principal) throw errors.UNAUTHENTICATED('authentication required');
  return request.principal.tenantId;
}

async function auth(app: FastifyInstance, opts: { keys: ApiKeyRows }) {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/v1/') && request.url !== '/v1') return;
    request.principal = await requirePrincipal(opts.keys, request.headers.authorization);
    // the matched route's pattern, not the raw URL, decides: an encoded or odd spelling of
    // /v1/admin that the router still matches must need admin too
    requireScope(request.principal, scopeFor(request.method, request.routeOptions.url ?? request.url));
  });
}

export const authPlugin = fp(auth, { name: 'auth' });
