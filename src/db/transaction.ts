// A raw pg transaction, for writes that must commit together with a pg-boss queue entry.
import type pg from 'pg';

export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Columns are TIMESTAMP without zone holding UTC (Prisma's convention): raw writes must match. */
export const NOW_UTC = `(now() AT TIME ZONE 'UTC')`;
