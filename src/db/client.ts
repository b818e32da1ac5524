// Prisma over node-postgres (driver adapter, no query-engine binary) plus a raw pg pool for the few
// statements that must share a transaction with the queue (pg-boss speaks plain SQL).
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import { CountingPgClient } from '../metrics/postgres.ts';

export type Db = PrismaClient;
export type { Prisma } from '../generated/prisma/client.ts';

export function createDb(databaseUrl: string, max = 10): { prisma: Db; pool: pg.Pool } {
  // failed statements are counted for /metrics
  const pool = new pg.Pool({ connectionString: databaseUrl, max, Client: CountingPgClient });
  // an idle client that loses its server must not crash the process
  pool.on('error', () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return { prisma, pool };
}
