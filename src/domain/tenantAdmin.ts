// Tenants as admins see them: create, list, read (with usage), change name and quotas. Deleting a
// tenant is in deletion.ts.
import type pg from 'pg';
import type { Db } from '../db/client.ts';
import type { Tenant } from '../generated/prisma/client.ts';
import { afterCursor, PAGE_ORDER, toPage } from './cursor.ts';
import { errors } from '../errors/catalogue.ts';
import { newId } from './ids.ts';
import { effectiveQuotas, QUOTA_NAMES, usageReport, type QuotaName } from './quotas.ts';

/** Quota changes: a number sets the limit, null goes back to the default. */
export type QuotaChanges = Partial<Record<QuotaName, number | null>>;

export function tenantView(tenant: Tenant) {
  return { id: tenant.id, name: tenant.name, createdAt: tenant.createdAt, quotas: effectiveQuotas(tenant.quotas) };
}

function applyChanges(stored: unknown, changes: QuotaChanges = {}): Record<string, number> {
  const next: Record<string, number> = { ...((stored && typeof stored === 'object' ? stored : {}) as Record<string, number>) };
  for (const name of QUOTA_NAMES) {
    const value = changes[name];
    if (value === null) delete next[name];
    else if (value !== undefined) next[name] = value;
  }
  return next;
}

export async function createTenantRecord(db: Db, input: { name: string; quotas?: QuotaChanges }) {
  const tenant = await db.tenant.create({ data: { id: newId('ten'), name: input.name, quotas: applyChanges({}, input.quotas) } });
  return tenantView(tenant);
}

export async function listTenants(db: Db, page: { limit: number; cursor?: string }) {
  const rows = await db.tenant.findMany({ where: afterCursor(page.cursor), orderBy: PAGE_ORDER, take: page.limit + 1 });
  const { items, nextCursor } = toPage(rows, page.limit);
  return { items: items.map(tenantView), nextCursor };
}

async function requireTenantRow(db: Db, id: string): Promise<Tenant> {
  const tenant = await db.tenant.findUnique({ where: { id } });
  if (!tenant) throw errors.TENANT_NOT_FOUND(id);
  return tenant;
}

export async function describeTenant(deps: { db: Db; pool: pg.Pool }, id: string) {
  const tenant = await requireTenantRow(deps.db, id);
  return { ...tenantView(tenant), usage: await usageReport(deps.pool, id, tenant.quotas) };
}

export async function updateTenant(db: Db, id: string, input: { name?: string; quotas?: QuotaChanges }) {
  const tenant = await db.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<Array<{ quotas: unknown }>>`SELECT quotas FROM tenants WHERE id = ${id} FOR UPDATE`;
    if (!row) throw errors.TENANT_NOT_FOUND(id);
    return tx.tenant.update({ where: { id }, data: { name: input.name, quotas: applyChanges(row.quotas, input.quotas) } });
  });
  return tenantView(tenant);
}
