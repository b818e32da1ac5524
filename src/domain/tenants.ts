// Tenants and their API keys. A key is shown once when made; only its sha256 is stored, so a
// database leak does not leak credentials. A key carries scopes: `read` for reads, `write` for
// anything that changes data, `admin` for /v1/admin.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/client.ts';
import type { ApiKeyRows } from './apiKeyCache.ts';
import { newId } from './ids.ts';

export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
export const DEFAULT_SCOPES: Scope[] = ['read', 'write'];
export const BOOTSTRAP_SCOPES: Scope[] = ['read', 'write', 'admin'];

export interface Principal {
  tenantId: string;
  keyId: string;
  scopes: Scope[];
  /** checked on every request, so a cached principal expires on time */
  expiresAt: Date | null;
}

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

export const generateApiKey = () => `ssk_${randomBytes(24).toString('base64url')}`;

export async function createTenant(db: Db, name: string, key = generateApiKey(), scopes: Scope[] = DEFAULT_SCOPES) {
  const tenantId = newId('ten');
  await db.tenant.create({
    data: { id: tenantId, name, apiKeys: { create: { id: newId('key'), name: 'default', hash: hashApiKey(key), scopes } } },
  });
  return { tenantId, apiKey: key };
}

/**
 * Makes sure `key` opens a tenant named "default" with every scope (the operator's way in);
 * idempotent across restarts and replicas.
 */
export async function ensureBootstrapKey(db: Db, key: string): Promise<string> {
  const hash = hashApiKey(key);
  const existing = await db.apiKey.findUnique({ where: { hash } });
  if (existing) {
    // keys made before scopes existed get the admin scope they now need
    if (!BOOTSTRAP_SCOPES.every((s) => existing.scopes.includes(s))) {
      await db.apiKey.update({ where: { hash }, data: { scopes: BOOTSTRAP_SCOPES } });
    }
    return existing.tenantId;
  }
  try {
    return (await createTenant(db, 'default', key, BOOTSTRAP_SCOPES)).tenantId;
  } catch (err) {
    // another replica won the race to create it
    const again = await db.apiKey.findUnique({ where: { hash } });
    if (again) return again.tenantId;
    throw err;
  }
}

/** The principal of a key that exists and is not revoked; expiry is the caller's check (see Principal). */
export async function authenticate(keys: ApiKeyRows, key: string): Promise<Principal | undefined> {
  const row = await keys.byHash(hashApiKey(key));
  if (!row || row.revokedAt) return undefined;
  return { tenantId: row.tenantId, keyId: row.id, scopes: row.scopes.filter(isScope), expiresAt: row.expiresAt };
}

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value);
