// Fair queueing of training jobs across tenants (start-time fair queueing on pg-boss priorities).
// Each job gets a tag; pg-boss serves the highest priority first, then the oldest, so priority is
// -tag. A tenant's next tag is one past its last queued job (first in, first out within a tenant)
// but never below the tag now being served: a tenant with nothing queued starts at the front, next
// to the job that runs, so one tenant's 100 queued jobs delay another's first job by at most one
// job slot, and tenants with many jobs take turns.
import type pg from 'pg';

/** In the transaction that creates the job, holding the tenant's row lock (quotas.lockTenant). */
export async function nextQueueTag(client: Pick<pg.PoolClient, 'query'>, tenantId: string): Promise<number> {
  const { rows } = await client.query<{ serving: number | null; tenant_last: number | null }>(
    `SELECT COALESCE((SELECT max(queue_tag) FROM jobs WHERE status = 'running'),
                     (SELECT min(queue_tag) FROM jobs WHERE status = 'queued'), 0) AS serving,
            (SELECT max(queue_tag) FROM jobs WHERE status = 'queued' AND tenant_id = $1) AS tenant_last`,
    [tenantId],
  );
  const { serving, tenant_last } = rows[0]!;
  return Math.max(Number(serving), tenant_last === null ? -Infinity : Number(tenant_last) + 1);
}

export const priorityOf = (tag: number) => 0 - tag;
