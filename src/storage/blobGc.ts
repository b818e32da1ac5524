// Garbage collection of content-addressed image blobs. A blob may be deleted once no image row
// references its sha256 — but an upload of the same bytes puts the blob before it writes its row. So
// an upload first takes a lease on the sha256 (under a shared advisory lock), and the collector
// checks rows and leases and deletes the object while holding the exclusive lock on the same key:
// either the lease comes first and the collector leaves the blob, or the collector finishes first
// and the upload's put recreates it.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { NOW_UTC, withTransaction } from '../db/transaction.ts';
import { keys } from './keys.ts';
import type { BlobStore } from './s3.ts';

// an upload that died without releasing its leases stops protecting its blobs after this
const LEASE_HOURS = 6;
const BATCH = 500;

type Queryable = Pick<pg.PoolClient, 'query'>;

/** Leases of one ingest request. */
export function blobLeases(pool: pg.Pool) {
  const id = randomUUID();
  const held = new Set<string>();
  async function release(sha256s: string[], stored: boolean) {
    if (!sha256s.length) return;
    if (!stored) await markCandidates(pool, sha256s);
    await pool.query('DELETE FROM blob_leases WHERE lease_id = $1 AND sha256 = ANY($2::text[])', [id, sha256s]);
    for (const sha of sha256s) held.delete(sha);
  }
  return {
    /** Before putting the blob. */
    async take(sha256: string) {
      held.add(sha256);
      await pool.query(
        `WITH lock AS (SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0)))
         INSERT INTO blob_leases (sha256, lease_id, expires_at)
         SELECT $1, $2, ${NOW_UTC} + interval '${LEASE_HOURS} hours' FROM lock
         ON CONFLICT (sha256, lease_id) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
        [sha256, id],
      );
    },
    /** After the rows are written (`stored`), or when they never will be: then the blobs become candidates. */
    release,
    /** Every lease still held: blobs put whose rows were not written. */
    releaseRest: () => release([...held], false),
    get held() {
      return held.size;
    },
  };
}

export async function markCandidates(client: Queryable, sha256s: string[]) {
  await client.query('INSERT INTO blob_gc_candidates (sha256) SELECT DISTINCT unnest($1::text[]) ON CONFLICT DO NOTHING', [sha256s]);
}

/** Inside a transaction that deletes image rows: their blobs become candidates once it commits. */
export async function markDatasetBlobs(client: Queryable, datasetIds: string[]) {
  await client.query(
    'INSERT INTO blob_gc_candidates (sha256) SELECT DISTINCT sha256 FROM images WHERE dataset_id = ANY($1::text[]) ON CONFLICT DO NOTHING',
    [datasetIds],
  );
}

/** Deletes the candidates' blobs that no image row and no live lease references; returns how many. */
export async function collectImageBlobs(deps: { pool: pg.Pool; blobs: BlobStore }): Promise<number> {
  // leases of uploads that died
  await deps.pool.query(
    `WITH gone AS (DELETE FROM blob_leases WHERE expires_at <= ${NOW_UTC} RETURNING sha256)
     INSERT INTO blob_gc_candidates (sha256) SELECT DISTINCT sha256 FROM gone ON CONFLICT DO NOTHING`,
  );
  let deleted = 0;
  for (;;) {
    const batch = await withTransaction(deps.pool, async (client) => {
      const { rows } = await client.query<{ sha256: string }>(
        `SELECT sha256 FROM blob_gc_candidates ORDER BY sha256 LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
      );
      const candidates = rows.map((r) => r.sha256);
      if (!candidates.length) return undefined;
      // in one fixed order, so two collectors cannot deadlock
      await client.query(
        'SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(s, 0) AS k FROM unnest($1::text[]) s) l ORDER BY k',
        [candidates],
      );
      const { rows: unreferenced } = await client.query<{ sha256: string }>(
        `SELECT s AS sha256 FROM unnest($1::text[]) s
         WHERE NOT EXISTS (SELECT 1 FROM images WHERE sha256 = s)
           AND NOT EXISTS (SELECT 1 FROM blob_leases WHERE sha256 = s AND expires_at > ${NOW_UTC})`,
        [candidates],
      );
      // deleted while the locks are held: an upload of the same bytes waits for them
      await deps.blobs.deleteKeys(unreferenced.map((r) => keys.image(r.sha256)));
      await client.query('DELETE FROM blob_gc_candidates WHERE sha256 = ANY($1::text[])', [candidates]);
      return unreferenced.length;
    });
    if (batch === undefined) return deleted;
    deleted += batch;
  }
}
