// Batched image-row insert in plain SQL. Prisma 6's createMany (client engine) was measured keeping
// ~2.5 MB of heap per 500-row call for good (bench/ingest.ts ran out of a 96 MB heap on 10k images),
// so the hot ingest path uses one constant statement over unnest()ed arrays instead. A batch goes in
// whole or not at all: the tenant's image and storage quotas are checked in the same transaction.
import type pg from 'pg';
import { withTransaction } from '../db/transaction.ts';
import { errors } from '../errors/catalogue.ts';
import { effectiveQuotas, requireWithinQuota } from '../domain/quotas.ts';

export interface ImageRow {
  id: string;
  s3Key: string;
  /** where the bytes start in the pack at s3Key */
  packOffset: number;
  sha256: string;
  format: string;
  width: number;
  height: number;
  channels: number;
  bytes: number;
  label: string | null;
  split: string | null;
  originalName: string;
}

const INSERT = `
  INSERT INTO images (id, dataset_id, s3_key, pack_offset, sha256, format, width, height, channels, bytes, label, split, original_name)
  SELECT u.id, $1, u.s3_key, u.pack_offset, u.sha256, u.format, u.width, u.height, u.channels, u.bytes, u.label, u.split, u.original_name
  FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::int[], $8::int[], $9::int[], $10::int[], $11::text[], $12::text[], $13::text[])
    AS u(id, s3_key, pack_offset, sha256, format, width, height, channels, bytes, label, split, original_name)
  ON CONFLICT (dataset_id, sha256) DO NOTHING
  RETURNING bytes`;

/**
 * Inserts the rows, skipping bytes already in the dataset (or repeated in the batch); returns how
 * many went in. Refuses the whole batch (403 QUOTA_EXCEEDED) when it would take the tenant over its
 * image or storage quota.
 */
export async function insertImageRows(pool: pg.Pool, datasetId: string, rows: ImageRow[]): Promise<number> {
  return withTransaction(pool, async (client) => {
    // the tenant's row lock serialises this tenant's batches, so the quota counts stay true
    const { rows: owner } = await client.query<{ id: string; quotas: unknown }>(
      'SELECT t.id, t.quotas FROM tenants t JOIN datasets d ON d.tenant_id = t.id WHERE d.id = $1 FOR UPDATE OF t',
      [datasetId],
    );
    if (!owner[0]) throw errors.DATASET_NOT_FOUND(datasetId);
    const added = await insertRows(client, datasetId, rows);
    if (added.count > 0) {
      const quotas = effectiveQuotas(owner[0].quotas);
      await requireWithinQuota(client, owner[0].id, quotas, 'images', added.count);
      await requireWithinQuota(client, owner[0].id, quotas, 'storageBytes', added.bytes);
    }
    return added.count;
  });
}

/** Which of these sha256s the dataset already has. */
export async function existingHashes(pool: pg.Pool, datasetId: string, sha256s: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ sha256: string }>('SELECT sha256 FROM images WHERE dataset_id = $1 AND sha256 = ANY($2::text[])', [
    datasetId,
    sha256s,
  ]);
  return rows.map((r) => r.sha256);
}

async function insertRows(client: pg.PoolClient, datasetId: string, rows: ImageRow[]): Promise<{ count: number; bytes: number }> {
  const column = <K extends keyof ImageRow>(key: K) => rows.map((r) => r[key]);
  const { rows: inserted } = await client.query<{ bytes: number }>(INSERT, [
    datasetId,
    column('id'),
    column('s3Key'),
    column('packOffset'),
    column('sha256'),
    column('format'),
    column('width'),
    column('height'),
    column('channels'),
    column('bytes'),
    column('label'),
    column('split'),
    column('originalName'),
  ]);
  return { count: inserted.length, bytes: inserted.reduce((sum, r) => sum + r.bytes, 0) };
}
