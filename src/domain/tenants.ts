// Tenants and their API keys. A key is shown once when made; only its sha256 is stored, so a
// database leak does not leak credentials.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/client.ts';
import type { ApiKeyRows } from './apiKeyCache.ts';
import { newId } from './ids.ts';

export interface Principal {
  tenantId: string;
  keyId: string;
}

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

export const generateApiKey = () => `ssk_${randomBytes(24).toString('base64url')}`;

export async function createTenant(db: Db, name: string, key = generateApiKey()) {
  const tenantId = newId('ten');
  await db.tenant.create({
    data: { id: tenantId, name, apiKeys: { create: { id: newId('key'), name: 'default', hash: hashApiKey(key) } } },
  });
  return { tenantId, apiKey: key };
}

/** Makes sure `key` opens a tenant named "default"; idempotent across restarts and replicas. */
export async function ensureBootstrapKey(db: Db, key: string): Promise<string> {
  const existing = await db.apiKey.findUnique({ where: { hash: hashApiKey(key) } });
  if (existing) return existing.tenantId;
  try {
    return (await createTenant(db, 'default', key)).tenantId;
  } catch (err) {
    // another replica won the race to create it
    const again = await db.apiKey.findUnique({ where: { hash: hashApiKey(key) } });
    if (again) return again.tenantId;
    throw err;
  }
}

export async function authenticate(keys: ApiKeyRows, key: string): Promise<Principal | undefined> {
  const row = await keys.byHash(hashApiKey(key));
  if (!row || row.revokedAt) return undefined;
  return { tenantId: row.tenantId, keyId: row.id };
}
