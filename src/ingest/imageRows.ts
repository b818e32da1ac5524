// Batched image-row insert in plain SQL. Prisma 6's createMany (client engine) was measured keeping
// ~2.5 MB of heap per 500-row call for good (bench/ingest.ts ran out of a 96 MB heap on 10k images),
// so the hot ingest path uses one constant statement over unnest()ed arrays instead.
import type pg from 'pg';

export interface ImageRow {
  id: string;
  s3Key: string;
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
  INSERT INTO images (id, dataset_id, s3_key, sha256, format, width, height, channels, bytes, label, split, original_name)
  SELECT u.id, $1, u.s3_key, u.sha256, u.format, u.width, u.height, u.channels, u.bytes, u.label, u.split, u.original_name
  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::int[], $9::int[], $10::text[], $11::text[], $12::text[])
    AS u(id, s3_key, sha256, format, width, height, channels, bytes, label, split, original_name)
  ON CONFLICT (dataset_id, sha256) DO NOTHING`;

/** Inserts the rows, skipping bytes already in the dataset (or repeated in the batch); returns how many went in. */
export async function insertImageRows(pool: pg.Pool, datasetId: string, rows: ImageRow[]): Promise<number> {
  const column = <K extends keyof ImageRow>(key: K) => rows.map((r) => r[key]);
  const { rowCount } = await pool.query(INSERT, [
    datasetId,
    column('id'),
    column('s3Key'),
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
  return rowCount ?? 0;
}
