// Garbage collection of image objects: content-addressed single images (keys.image) and image packs
// (keys.imagePack). An object may be deleted once no image row references its key — but an upload
// puts its object before it writes the rows. So an upload first takes a lease on the key (under a
// shared advisory lock), and the collector checks rows and leases and deletes the object while
// holding the exclusive lock on the same key: either the lease comes first and the collector leaves
// the object, or the collector finishes first and the upload's put recreates it.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { NOW_UTC, withTransaction } from '../db/transaction.ts';
import type { BlobStore } from './s3.ts';

// an upload that died without releasing its leases stops protecting its objects after this
const LEASE_HOURS = 6;
const BATCH = 500;

type Queryable = Pick<pg.PoolClient, 'query'>;

/** Leases of one ingest request, by object key. */
export function blobLeases(pool: pg.Pool) {
  const id = randomUUID();
  const held = new Set<string>();
  let marked = false;
  async function release(s3Keys: string[], stored: boolean) {
    if (!s3Keys.length) return;
    if (!stored) {
      await markCandidates(pool, s3Keys);
      marked = true;
    }
    await pool.query('DELETE FROM blob_leases WHERE lease_id = $1 AND s3_key = ANY($2::text[])', [id, s3Keys]);
    for (const key of s3Keys) held.delete(key);
  }
  return {
    /** Before putting the object. */
    async take(s3Key: string) {
      held.add(s3Key);
      await pool.query(
        `WITH lock AS (SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0)))
         INSERT INTO blob_leases (s3_key, lease_id, expires_at)
         SELECT $1, $2, ${NOW_UTC} + interval '${LEASE_HOURS} hours' FROM lock
         ON CONFLICT (s3_key, lease_id) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
        [s3Key, id],
      );
    },
    /**
     * After the rows are written (`stored`), or when they never will be (or not all of them: a pack
     * some of whose images turned out duplicates): then the objects become candidates.
     */
    release,
    /** Every lease still held: objects put whose rows were not written. */
    releaseRest: () => release([...held], false),
    /** Whether a release made objects collection candidates: objects put whose rows never came. */
    get marked() {
      return marked;
    },
  };
}

export async function markCandidates(client: Queryable, s3Keys: string[]) {
  await client.query('INSERT INTO blob_gc_candidates (s3_key) SELECT DISTINCT unnest($1::text[]) ON CONFLICT DO NOTHING', [s3Keys]);
}

/** Inside a transaction that deletes image rows: their objects become candidates once it commits. */
export async function markDatasetBlobs(client: Queryable, datasetIds: string[]) {
  await client.query(
    'INSERT INTO blob_gc_candidates (s3_key) SELECT DISTINCT s3_key FROM images WHERE dataset_id = ANY($1::text[]) ON CONFLICT DO NOTHING',
    [datasetIds],
  );
}

/** Deletes the candidates' objects that no image row and no live lease references; returns how many. */
export async function collectImageBlobs(deps: { pool: pg.Pool; blobs: BlobStore }): Promise<number> {
  // leases of uploads that died
  await deps.pool.query(
    `WITH gone AS (DELETE FROM blob_leases WHERE expires_at <= ${NOW_UTC} RETURNING s3_key)
     INSERT INTO blob_gc_candidates (s3_key) SELECT DISTINCT s3_key FROM gone ON CONFLICT DO NOTHING`,
  );
  let deleted = 0;
  for (;;) {
    const batch = await withTransaction(deps.pool, async (client) => {
      const { rows } = await client.query<{ s3_key: string }>(
        `SELECT s3_key FROM blob_gc_candidates ORDER BY s3_key LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
      );
      const candidates = rows.map((r) => r.s3_key);
      if (!candidates.length) return undefined;
      // in one fixed order, so two collectors cannot deadlock
      await client.query(
        'SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(s, 0) AS k FROM unnest($1::text[]) s) l ORDER BY k',
        [candidates],
      );
      const { rows: unreferenced } = await client.query<{ s3_key: string }>(
        `SELECT k AS s3_key FROM unnest($1::text[]) k
         WHERE NOT EXISTS (SELECT 1 FROM images WHERE s3_key = k)
           AND NOT EXISTS (SELECT 1 FROM blob_leases WHERE s3_key = k AND expires_at > ${NOW_UTC})`,
        [candidates],
      );
      // deleted while the locks are held: a lease on the same key waits for them
      await deps.blobs.deleteKeys(unreferenced.map((r) => r.s3_key));
      await client.query('DELETE FROM blob_gc_candidates WHERE s3_key = ANY($1::text[])', [candidates]);
      return unreferenced.length;
    });
    if (batch === undefined) return deleted;
    deleted += batch;
  }
}
