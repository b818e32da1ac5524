// Minimal tenant-scoped dataset reads for GraphQL. src/domain/datasets.ts (the datasets module) was not
// committed when this was written; once it is, these should give way to its getDataset/listDatasets/
// describeDataset.
import type { Db } from '../db/client.ts';
import { afterCursor, PAGE_ORDER, toPage } from '../domain/cursor.ts';
import { notFound } from '../domain/errors.ts';

const fields = { id: true, name: true, description: true, createdAt: true, updatedAt: true } as const;

export async function getDataset(db: Db, tenantId: string, id: string) {
  const dataset = await db.dataset.findFirst({ where: { id, tenantId }, select: fields });
  if (!dataset) throw notFound('dataset', id);
  return dataset;
}

/** Newest first. */
export async function listDatasets(db: Db, tenantId: string, page: { limit: number; cursor?: string }) {
  const rows = await db.dataset.findMany({
    where: { tenantId, ...afterCursor(page.cursor) },
    orderBy: PAGE_ORDER,
    take: page.limit + 1,
    select: fields,
  });
  return toPage(rows, page.limit);
}

/** Image count and label histogram (most frequent first) of a dataset the caller already holds. */
export async function datasetStats(db: Db, datasetId: string) {
  const groups = await db.image.groupBy({ by: ['label'], where: { datasetId }, _count: { _all: true } });
  const labels = groups
    .filter((g) => g.label !== null)
    .map((g) => ({ label: g.label!, count: g._count._all }))
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
  const imageCount = groups.reduce((sum, g) => sum + g._count._all, 0);
  return { imageCount, unlabeledCount: imageCount - labels.reduce((sum, l) => sum + l.count, 0), labels };
}
