// Tenant-scoped dataset data access. Every query names the tenant, so another tenant's dataset id
// behaves exactly like an unknown one (404 DATASET_NOT_FOUND).
import type pg from 'pg';
import type { Db } from '../db/client.ts';
import { NOW_UTC, withTransaction } from '../db/transaction.ts';
import { collectImageBlobs, markDatasetBlobs } from '../storage/blobGc.ts';
import type { BlobStore } from '../storage/s3.ts';
import { keys } from '../storage/keys.ts';
import { errors } from '../errors/catalogue.ts';
import { newId } from './ids.ts';
import { decodeCursor, decodeIdCursor, encodeIdCursor, toPage } from './cursor.ts';
import { lockTenant, requireWithinQuota } from './quotas.ts';

export interface Page {
  limit: number;
  cursor?: string;
}

const datasetFields = { id: true, name: true, description: true, createdAt: true, updatedAt: true } as const;

/** Refused with 403 QUOTA_EXCEEDED when the tenant has as many datasets as its quota allows. */
export async function createDataset(deps: { db: Db; pool: pg.Pool }, tenantId: string, input: { name: string; description?: string | null }) {
  const id = newId('ds');
  await withTransaction(deps.pool, async (client) => {
    const quotas = await lockTenant(client, tenantId);
    await client.query(
      `INSERT INTO datasets (id, tenant_id, name, description, created_at, updated_at) VALUES ($1, $2, $3, $4, ${NOW_UTC}, ${NOW_UTC})`,
      [id, tenantId, input.name, input.description ?? null],
    );
    await requireWithinQuota(client, tenantId, quotas, 'datasets');
  });
  return getDataset(deps.db, tenantId, id);
}

export async function getDataset(db: Db, tenantId: string, id: string) {
  const dataset = await db.dataset.findFirst({ where: { id, tenantId }, select: datasetFields });
  if (!dataset) throw errors.DATASET_NOT_FOUND(id);
  return dataset;
}

// datasetFields straight from the row (TIMESTAMP columns hold UTC), newest first: the first page, and
// the pages after a cursor's (createdAt, id), which is bound as UTC text so the process's time zone
// plays no part
const DATASET_COLUMNS = `SELECT id, name, description, created_at AT TIME ZONE 'UTC' AS "createdAt", updated_at AT TIME ZONE 'UTC' AS "updatedAt"
  FROM datasets WHERE tenant_id = $1`;
const FIRST_DATASETS_SQL = `${DATASET_COLUMNS} ORDER BY created_at DESC, id DESC LIMIT $2`;
const NEXT_DATASETS_SQL = `${DATASET_COLUMNS} AND (created_at, id) < ($3::timestamptz AT TIME ZONE 'UTC', $4)
  ORDER BY created_at DESC, id DESC LIMIT $2`;

type DatasetRow = { id: string; name: string; description: string | null; createdAt: Date; updatedAt: Date };

/**
 * Newest first; the cursor is (createdAt, id) of the last item, so inserts do not shift pages. A
 * prepared statement on the raw pool: the dashboard and the CLI list datasets often.
 */
export async function listDatasets(pool: pg.Pool, tenantId: string, page: Page) {
  const after = page.cursor ? decodeCursor(page.cursor) : undefined;
  const { rows } = await pool.query<DatasetRow>(
    after
      ? { name: 'datasets-after', text: NEXT_DATASETS_SQL, values: [tenantId, page.limit + 1, after.createdAt.toISOString(), after.id] }
      : { name: 'datasets-first', text: FIRST_DATASETS_SQL, values: [tenantId, page.limit + 1] },
  );
  return toPage(rows, page.limit);
}

/** The dataset with its image count and label histogram. */
export async function describeDataset(db: Db, tenantId: string, id: string) {
  const dataset = await getDataset(db, tenantId, id);
  const groups = await db.image.groupBy({ by: ['label'], where: { datasetId: id }, _count: { _all: true } });
  const labels: Record<string, number> = {};
  let unlabeledCount = 0;
  let imageCount = 0;
  for (const g of groups) {
    imageCount += g._count._all;
    if (g.label === null) unlabeledCount = g._count._all;
    else labels[g.label] = g._count._all;
  }
  return { ...dataset, imageCount, labels, unlabeledCount };
}

/** In id order (random ids: stable, not chronological), optionally one label only. */
export async function listImages(db: Db, tenantId: string, datasetId: string, page: Page & { label?: string }) {
  await getDataset(db, tenantId, datasetId);
  const after = page.cursor ? decodeIdCursor(page.cursor) : undefined;
  const rows = await db.image.findMany({
    where: { datasetId, ...(page.label !== undefined && { label: page.label }), ...(after && { id: { gt: after } }) },
    orderBy: { id: 'asc' },
    take: page.limit + 1,
    select: {
      id: true,
      sha256: true,
      format: true,
      width: true,
      height: true,
      channels: true,
      bytes: true,
      label: true,
      split: true,
      originalName: true,
      createdAt: true,
    },
  });
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > page.limit && last ? encodeIdCursor(last.id) : null };
}

const ACTIVE_JOB_STATUSES = ['queued', 'running'];

/**
 * Deletes the dataset, its image rows and uploads (cascade), its staged direct uploads, and the image
 * blobs no other dataset shares. Refused while a queued or running job uses it. The dataset row is
 * locked FOR UPDATE while the jobs are counted: job creation locks it FOR SHARE (lockDatasetForJob),
 * so a job cannot appear between the count and the delete.
 */
export async function deleteDataset(deps: { pool: pg.Pool; blobs: BlobStore }, tenantId: string, id: string): Promise<void> {
  await withTransaction(deps.pool, async (client) => {
    const locked = await client.query('SELECT id FROM datasets WHERE id = $1 AND tenant_id = $2 FOR UPDATE', [id, tenantId]);
    if (locked.rowCount === 0) throw errors.DATASET_NOT_FOUND(id);
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs WHERE dataset_id = $1 AND status = ANY($2::text[])', [
      id,
      ACTIVE_JOB_STATUSES,
    ]);
    const activeJobs = rows[0]!.n;
    if (activeJobs > 0) {
      throw errors.DATASET_IN_USE(id, activeJobs).with({ activeJobs });
    }
    await markDatasetBlobs(client, [id]);
    await client.query('DELETE FROM datasets WHERE id = $1', [id]);
  });
  await deps.blobs.deletePrefix(keys.datasetUploadsPrefix(id));
  await collectImageBlobs(deps);
}

/**
 * Inside a job-creating transaction: holds the dataset against a concurrent delete (404 if gone) and
 * returns its largest image seq, the snapshot the job trains on (422 DATASET_EMPTY if it has none),
 * with the number of images in that snapshot.
 */
export async function lockDatasetForJob(client: pg.PoolClient, tenantId: string, id: string): Promise<{ seqMax: string; imageCount: number }> {
  const { rows } = await client.query<{ seq_max: string | null; image_count: number }>(
    `SELECT (SELECT max(seq) FROM images WHERE dataset_id = d.id) AS seq_max,
            (SELECT count(*)::int FROM images WHERE dataset_id = d.id) AS image_count
     FROM datasets d WHERE d.id = $1 AND d.tenant_id = $2 FOR SHARE`,
    [id, tenantId],
  );
  if (rows.length === 0) throw errors.DATASET_NOT_FOUND(id);
  // 422, not 400: the request is well-formed, the dataset just has nothing to train on (yet)
  if (rows[0].seq_max === null) throw errors.DATASET_EMPTY(id);
  return { seqMax: rows[0].seq_max, imageCount: rows[0].image_count };
}
