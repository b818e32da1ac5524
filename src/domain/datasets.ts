// Tenant-scoped dataset data access. Every query names the tenant, so another tenant's dataset id
// behaves exactly like an unknown one (404 DATASET_NOT_FOUND).
import type pg from 'pg';
import type { Db } from '../db/client.ts';
import { AppError, badRequest, conflict, notFound } from './errors.ts';
import { newId } from './ids.ts';
import { afterCursor, decodeIdCursor, encodeIdCursor, PAGE_ORDER, toPage } from './cursor.ts';

export interface Page {
  limit: number;
  cursor?: string;
}

const datasetFields = { id: true, name: true, description: true, createdAt: true, updatedAt: true } as const;

export async function createDataset(db: Db, tenantId: string, input: { name: string; description?: string | null }) {
  return db.dataset.create({
    data: { id: newId('ds'), tenantId, name: input.name, description: input.description ?? null },
    select: datasetFields,
  });
}

export async function getDataset(db: Db, tenantId: string, id: string) {
  const dataset = await db.dataset.findFirst({ where: { id, tenantId }, select: datasetFields });
  if (!dataset) throw notFound('dataset', id);
  return dataset;
}

/** Newest first; the cursor is (createdAt, id) of the last item, so inserts do not shift pages. */
export async function listDatasets(db: Db, tenantId: string, page: Page) {
  const rows = await db.dataset.findMany({
    where: { tenantId, ...afterCursor(page.cursor) },
    orderBy: PAGE_ORDER,
    take: page.limit + 1,
    select: datasetFields,
  });
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
 * Deletes the dataset, its image rows and uploads (cascade). Refused while a queued or running job
 * uses it. Content-addressed image blobs stay: other datasets may share them. The dataset row is
 * locked FOR UPDATE while the jobs are counted: job creation locks it FOR SHARE (lockDatasetForJob),
 * so a job cannot appear between the count and the delete.
 */
export async function deleteDataset(db: Db, tenantId: string, id: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<unknown[]>`SELECT id FROM datasets WHERE id = ${id} AND tenant_id = ${tenantId} FOR UPDATE`;
    if (locked.length === 0) throw notFound('dataset', id);
    const activeJobs = await tx.job.count({ where: { datasetId: id, status: { in: ACTIVE_JOB_STATUSES } } });
    if (activeJobs > 0) {
      throw conflict('DATASET_IN_USE', `dataset ${id} is used by ${activeJobs} queued or running job(s)`, { activeJobs });
    }
    await tx.dataset.deleteMany({ where: { id, tenantId } });
  });
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
  if (rows.length === 0) throw notFound('dataset', id);
  // 422, not 400: the request is well-formed, the dataset just has nothing to train on (yet)
  if (rows[0].seq_max === null) throw new AppError(422, 'DATASET_EMPTY', `dataset ${id} has no images to train on`);
  return { seqMax: rows[0].seq_max, imageCount: rows[0].image_count };
}
