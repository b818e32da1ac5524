// A raw pg transaction, for writes that must commit together with a pg-boss queue entry.
import type pg from 'pg';

export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // a connection lost while checked out fails the statement in flight and then emits 'error', which
  // with no listener would crash the process; the lost client is destroyed, not pooled again
  let lost: Error | undefined;
  const onError = (err: Error) => (lost = err);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.removeListener('error', onError);
    client.release(lost);
  }
}

/** Columns are TIMESTAMP without zone holding UTC (Prisma's convention): raw writes must match. */
export const NOW_UTC = `(now() AT TIME ZONE 'UTC')`;

/**
 * Whether a failed statement or transaction may succeed when run again: anything but an error
 * PostgreSQL raised against the statement itself. A refused or lost connection (no SQLSTATE, or a
 * FATAL one: a restart, pg_terminate_backend, a database not accepting connections), a
 * serialization failure and a deadlock are transient.
 */
export function isTransientDbError(err: unknown): boolean {
  const { severity, code } = (err ?? {}) as { severity?: unknown; code?: unknown };
  if (severity !== 'ERROR') return true;
  return typeof code === 'string' && (code === '40001' || code === '40P01' || code.startsWith('08') || code.startsWith('57P'));
}
