// API key management for admins: create (the secret is returned once), list, revoke, rotate.
// Revoking or rotating only updates the key's row; whatever caches keys is told by the database.
import type { Db } from '../db/client.ts';
import type { ApiKey } from '../generated/prisma/client.ts';
import { errors } from '../errors/catalogue.ts';
import { newId } from './ids.ts';
import { DEFAULT_SCOPES, generateApiKey, hashApiKey, isScope, type Scope } from './tenants.ts';

export interface NewKeyRequest {
  name?: string;
  scopes?: Scope[];
  /** ISO date-time in the future; absent or null: the key does not expire */
  expiresAt?: string | null;
}

export function apiKeyView(key: ApiKey) {
  return {
    id: key.id,
    tenantId: key.tenantId,
    name: key.name,
    scopes: key.scopes.filter(isScope),
    createdAt: key.createdAt,
    expiresAt: key.expiresAt,
    revokedAt: key.revokedAt,
    lastUsedAt: key.lastUsedAt,
  };
}

function expiryOf(raw: string | null | undefined): Date | null {
  if (raw === undefined || raw === null) return null;
  const date = new Date(raw);
  if (Number.isNaN(date.getTime())) throw errors.INVALID_EXPIRY(`"${raw}" is not a date-time`);
  if (date.getTime() <= Date.now()) throw errors.INVALID_EXPIRY('must be in the future');
  return date;
}

async function requireTenant(db: Db, tenantId: string) {
  const tenant = await db.tenant.findUnique({ where: { id: tenantId }, select: { id: true } });
  if (!tenant) throw errors.TENANT_NOT_FOUND(tenantId);
}

async function requireKey(db: Db, tenantId: string, keyId: string): Promise<ApiKey> {
  await requireTenant(db, tenantId);
  const key = await db.apiKey.findFirst({ where: { id: keyId, tenantId } });
  if (!key) throw errors.API_KEY_NOT_FOUND(keyId);
  return key;
}

export async function createApiKey(db: Db, tenantId: string, request: NewKeyRequest) {
  const expiresAt = expiryOf(request.expiresAt);
  await requireTenant(db, tenantId);
  const secret = generateApiKey();
  const scopes = [...new Set(request.scopes ?? DEFAULT_SCOPES)];
  const row = await db.apiKey.create({
    data: { id: newId('key'), tenantId, name: request.name ?? 'key', hash: hashApiKey(secret), scopes, expiresAt },
  });
  return { ...apiKeyView(row), secret };
}

export async function listApiKeys(db: Db, tenantId: string) {
  await requireTenant(db, tenantId);
  const rows = await db.apiKey.findMany({ where: { tenantId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return { items: rows.map(apiKeyView) };
}

/** Idempotent: revoking a revoked key keeps its first revocation time. */
export async function revokeApiKey(db: Db, tenantId: string, keyId: string) {
  const key = await requireKey(db, tenantId, keyId);
  if (key.revokedAt) return apiKeyView(key);
  return apiKeyView(await db.apiKey.update({ where: { id: keyId }, data: { revokedAt: new Date() } }));
}

/** A new secret with the same name, scopes and expiry; the old key is revoked in the same transaction. */
export async function rotateApiKey(db: Db, tenantId: string, keyId: string) {
  const old = await requireKey(db, tenantId, keyId);
  if (old.expiresAt && old.expiresAt.getTime() <= Date.now()) {
    throw errors.API_KEY_EXPIRED.withStatus(409)(keyId, old.expiresAt.toISOString());
  }
  const secret = generateApiKey();
  const row = await db.$transaction(async (tx) => {
    const { count } = await tx.apiKey.updateMany({ where: { id: keyId, revokedAt: null }, data: { revokedAt: new Date() } });
    if (count === 0) throw errors.API_KEY_REVOKED(keyId);
    return tx.apiKey.create({
      data: { id: newId('key'), tenantId, name: old.name, hash: hashApiKey(secret), scopes: old.scopes, expiresAt: old.expiresAt },
    });
  });
  return { ...apiKeyView(row), secret, replaces: keyId };
}
