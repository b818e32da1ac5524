// The long-lived dependencies of an API or worker process, started in order and closed in reverse.
// With nothing configured it starts the embedded PostgreSQL and S3 server first.
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { createDb, type Db } from './db/client.ts';
import { migrate } from './db/migrate.ts';
import { JobEvents } from './db/jobEvents.ts';
import { ApiKeyCache } from './domain/apiKeyCache.ts';
import { JobViewCache } from './domain/jobViewCache.ts';
import { startEmbeddedPostgres } from './embedded/postgres.ts';
import { startEmbeddedS3 } from './embedded/s3server.ts';
import { startQueue } from './queue/boss.ts';
import { createBlobStore, type BlobStore } from './storage/s3.ts';
import path from 'node:path';
import { countS3Errors } from './metrics/s3.ts';
import { HotSets } from './serving/hotSets.ts';

export interface Services {
  config: Config;
  db: Db;
  pool: pg.Pool;
  blobs: BlobStore;
  boss: PgBoss;
  events: JobEvents;
  /** API-key rows for authentication, cached while the key-change LISTEN is in force (API processes only) */
  apiKeys: ApiKeyCache;
  /** job views for status reads, cached while the job-change LISTEN is in force (API processes only) */
  jobViews: JobViewCache;
  /** embedding sets held in memory for neighbour queries (API processes only; nothing until a query) */
  hotSets: HotSets;
  databaseUrl: string;
  close(): Promise<void>;
}

export async function startServices(config: Config, log: Logger): Promise<Services> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch((err) => log.warn({ err }, 'error during shutdown'));
  };
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const pgServer = await startEmbeddedPostgres(config.dataDir, (msg) => log.warn(msg));
      closers.push(pgServer.stop);
      databaseUrl = pgServer.databaseUrl;
      log.info({ dir: pgServer.databaseDir }, 'embedded PostgreSQL started');
    }
    let s3 = config.s3;
    if (!s3) {
      const s3Server = await startEmbeddedS3({
        directory: path.join(config.dataDir, 's3'),
        credentialsFile: path.join(config.dataDir, 's3-credentials.json'),
        maxPresignedUploadBytes: config.ingest.maxImageBytes,
      });
      closers.push(s3Server.stop);
      s3 = s3Server.s3;
      log.info({ endpoint: s3.endpoint }, 'embedded S3 server started');
    }
    const { prisma, pool } = createDb(databaseUrl);
    closers.push(() => pool.end());
    closers.push(() => prisma.$disconnect());
    const applied = await migrate(pool);
    if (applied.length) log.info({ applied }, 'database migrations applied');
    const blobs = createBlobStore(s3);
    countS3Errors(blobs.client);
    await blobs.ensureBucket();
    const boss = await startQueue(databaseUrl);
    closers.push(() => boss.stop({ graceful: true, timeout: 10_000 }));
    const events = new JobEvents(pool);
    closers.push(() => events.close());
    const apiKeys = new ApiKeyCache(prisma, databaseUrl);
    closers.push(() => apiKeys.close());
    const jobViews = new JobViewCache(pool, events);
    const hotSets = new HotSets(blobs, config.embeddingCacheBytes, databaseUrl);
    closers.push(() => hotSets.close());
    return { config: { ...config, databaseUrl, s3 }, db: prisma, pool, blobs, boss, events, apiKeys, jobViews, hotSets, databaseUrl, close };
  } catch (err) {
    await close();
    throw err;
  }
}
