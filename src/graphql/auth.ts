// GraphQL authentication: the same bearer keys as REST. The key arrives as the HTTP Authorization
// header, or for subscriptions in the connection_init payload (browsers cannot set headers on a
// WebSocket) or the upgrade request's header. It is checked once per operation, on first use, so
// introspection (GraphiQL) works without a key.
import type { ApiKeyRows } from '../domain/apiKeyCache.ts';
import { requirePrincipal, requireScope } from '../api/auth.ts';
import type { Principal } from '../domain/tenants.ts';

export interface AuthContext {
  authorization?: string;
  principal?: Promise<Principal>;
}

declare module 'mercurius' {
  interface MercuriusContext extends AuthContext {}
}

export async function tenantIdOf(keys: ApiKeyRows, ctx: AuthContext): Promise<string> {
  // GraphQL only reads: every operation needs the `read` scope
  ctx.principal ??= requirePrincipal(keys, ctx.authorization).then((p) => (requireScope(p, 'read'), p));
  return (await ctx.principal).tenantId;
}

/** Finds `Authorization` in a connection_init payload: top level or under `headers`, any case. */
export function authorizationIn(payload: unknown): string | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const record = payload as Record<string, unknown>;
  for (const source of [record, record.headers]) {
    if (!source || typeof source !== 'object') continue;
    const [, value] = Object.entries(source).find(([k]) => k.toLowerCase() === 'authorization') ?? [];
    if (typeof value === 'string') return value;
  }
  return undefined;
}
