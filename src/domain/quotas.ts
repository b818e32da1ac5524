// Per-tenant quotas. Limits are the defaults below unless an admin overrode them on the tenant row
// (`tenants.quotas`). Every check runs inside the transaction that adds the thing counted, after
// lockTenant(): concurrent requests of one tenant queue on that row lock, so two of them cannot both
// see room for one more, and a refused request rolls back whole.
import type pg from 'pg';
import { errors, type AppError } from '../errors/catalogue.ts';

export const QUOTA_NAMES = ['storageBytes', 'images', 'datasets', 'activeJobs', 'concurrentTasks', 'trainingMinutesPerMonth'] as const;
export type QuotaName = (typeof QUOTA_NAMES)[number];
export type Quotas = Record<QuotaName, number>;

export const DEFAULT_QUOTAS: Quotas = {
  storageBytes: 1024 ** 4,
  images: 10_000_000,
  datasets: 1000,
  activeJobs: 200,
  concurrentTasks: 20,
  trainingMinutesPerMonth: 100_000,
};

// what is stored waits for a delete or an admin (403); what is in flight or per month frees up by itself (429)
const STATUS: Record<QuotaName, 403 | 429> = {
  storageBytes: 403,
  images: 403,
  datasets: 403,
  activeJobs: 429,
  concurrentTasks: 429,
  trainingMinutesPerMonth: 429,
};

type Queryable = Pick<pg.PoolClient, 'query'>;

/** The tenant's limits: stored overrides over the defaults. */
export function effectiveQuotas(overrides: unknown): Quotas {
  const stored = (overrides && typeof overrides === 'object' ? overrides : {}) as Partial<Record<string, unknown>>;
  const quotas = { ...DEFAULT_QUOTAS };
  for (const name of QUOTA_NAMES) {
    const value = stored[name];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) quotas[name] = value;
  }
  return quotas;
}

/** Locks the tenant's row for the rest of the transaction and returns its limits. */
export async function lockTenant(client: Queryable, tenantId: string): Promise<Quotas> {
  const { rows } = await client.query<{ quotas: unknown }>('SELECT quotas FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
  if (!rows[0]) throw errors.INVALID_API_KEY();
  return effectiveQuotas(rows[0].quotas);
}

const TENANT_IMAGES = 'SELECT count(*)::float8 AS n, COALESCE(sum(bytes), 0)::float8 AS b FROM images WHERE dataset_id IN (SELECT id FROM datasets WHERE tenant_id = $1)';

const USAGE_SQL: Record<QuotaName, string> = {
  images: `SELECT n AS used FROM (${TENANT_IMAGES}) i`,
  storageBytes: `SELECT b + (SELECT COALESCE(sum(c.size_bytes), 0)::float8 FROM checkpoints c JOIN jobs j ON j.id = c.job_id
                             WHERE j.tenant_id = $1) AS used FROM (${TENANT_IMAGES}) i`,
  datasets: 'SELECT count(*)::float8 AS used FROM datasets WHERE tenant_id = $1',
  activeJobs: `SELECT count(*)::float8 AS used FROM jobs WHERE tenant_id = $1 AND status IN ('queued', 'running')`,
  concurrentTasks: `SELECT (SELECT count(*) FROM embedding_sets WHERE tenant_id = $1 AND status IN ('queued', 'running'))
                         + (SELECT count(*) FROM evaluations WHERE tenant_id = $1 AND status IN ('queued', 'running'))::float8 AS used`,
  // wall time from a job's first start to its end (or now), this calendar month (UTC), plus the
  // recorded time of jobs deleted this month
  trainingMinutesPerMonth: `
    SELECT (COALESCE((SELECT sum(extract(epoch FROM COALESCE(finished_at, now() AT TIME ZONE 'UTC')
                                        - greatest(started_at, date_trunc('month', now() AT TIME ZONE 'UTC'))))
                      FROM jobs WHERE tenant_id = $1 AND started_at IS NOT NULL
                        AND (finished_at IS NULL OR finished_at >= date_trunc('month', now() AT TIME ZONE 'UTC'))), 0)
          + COALESCE((SELECT seconds FROM training_usage
                      WHERE tenant_id = $1 AND month = date_trunc('month', now() AT TIME ZONE 'UTC')::date), 0)) / 60 AS used`,
};

export async function quotaUsage(client: Queryable, tenantId: string, name: QuotaName): Promise<number> {
  const { rows } = await client.query<{ used: number }>(USAGE_SQL[name], [tenantId]);
  return Number(rows[0]?.used ?? 0);
}

/** `used` is the usage before the refused request, `requested` what it would have added. */
export function quotaExceeded(name: QuotaName, used: number, limit: number, requested: number): AppError {
  return errors.QUOTA_EXCEEDED.withStatus(STATUS[name])(name, used, limit, requested).with({
    quota: name,
    used,
    limit,
    requested,
  });
}

/**
 * After the transaction has added `added` of what `name` counts: refuses (and so rolls back) when
 * usage is now over the limit. For trainingMinutesPerMonth, which a request does not add to, it
 * refuses once the month's minutes are used up.
 */
export async function requireWithinQuota(client: Queryable, tenantId: string, quotas: Quotas, name: QuotaName, added = 1): Promise<void> {
  const now = await quotaUsage(client, tenantId, name);
  if (name === 'trainingMinutesPerMonth') {
    if (now >= quotas[name]) throw quotaExceeded(name, Math.round(now * 100) / 100, quotas[name], 0);
  } else if (now > quotas[name]) {
    throw quotaExceeded(name, now - added, quotas[name], added);
  }
}

/** Usage against limits, for GET /v1/usage and the admin API. */
export async function usageReport(client: Queryable, tenantId: string, overrides: unknown) {
  const quotas = effectiveQuotas(overrides);
  const report = {} as Record<QuotaName, { used: number; limit: number }>;
  for (const name of QUOTA_NAMES) report[name] = { used: await quotaUsage(client, tenantId, name), limit: quotas[name] };
  return report;
}
