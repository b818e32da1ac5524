// PostgreSQL errors: every failed statement on the service's pool (Prisma and raw SQL share it) and
// every error pg-boss reports, by source and SQLSTATE ("none" for a lost connection).
import pg from 'pg';
import { Counter } from 'prom-client';
import { processRegistry } from './registry.ts';

const postgresErrors = new Counter({
  name: 'simsiam_postgres_errors_total',
  help: 'PostgreSQL errors by source (pool, queue, metrics) and SQLSTATE code',
  labelNames: ['source', 'code'],
  registers: [processRegistry],
});

export function countPostgresError(source: 'pool' | 'queue' | 'metrics', err: unknown) {
  const code = (err as { code?: unknown })?.code;
  postgresErrors.inc({ source, code: typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : 'none' });
}

/** A pg client that counts its failed queries; given to the pool as its `Client`. */
export class CountingPgClient extends pg.Client {
  // pg's query() has many overloads (promise, callback, submittable); each is passed through untouched
  override query(...args: unknown[]): never {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (err: unknown, result: unknown) => {
        if (err) countPostgresError('pool', err);
        (callback as (e: unknown, r: unknown) => void)(err, result);
      };
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (result instanceof Promise) result.catch((err: unknown) => countPostgresError('pool', err));
    return result as never;
  }
}
