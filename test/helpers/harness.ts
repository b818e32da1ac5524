// Real dependencies for tests: a fresh database on the local PostgreSQL (dropped afterwards) and a
// real s3rver child process on a temp directory. No mocks of either.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.ts';
import { startEmbeddedS3, type EmbeddedS3Handle } from '../../src/embedded/s3server.ts';
import { startServices, type Services } from '../../src/services.ts';
import { buildApp } from '../../src/app.ts';
import { createTenant } from '../../src/domain/tenants.ts';

export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestEnv {
  services: Services;
  app: FastifyInstance;
  /** tenant A, and its API key */
  tenantId: string;
  apiKey: string;
  /** API key of tenant B (for isolation tests) */
  otherApiKey: string;
  auth: { Authorization: string };
  otherAuth: { Authorization: string };
  config: Config;
  databaseUrl: string;
  close(): Promise<void>;
}

export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `simsiam_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function startTestS3(): Promise<EmbeddedS3Handle & { dir: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-s3-'));
  const handle = await startEmbeddedS3({
    directory: path.join(dir, 'objects'),
    credentialsFile: path.join(dir, 'credentials.json'),
    bucket: `test-${randomBytes(4).toString('hex')}`,
    maxPresignedUploadBytes: loadConfig({}).ingest.maxImageBytes,
  });
  return {
    ...handle,
    dir,
    async stop() {
      await handle.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

export async function createTestEnv(env: Record<string, string> = {}): Promise<TestEnv> {
  const database = await createTestDatabase();
  const s3 = await startTestS3();
  // the worker's decoded-image cache and anything else a test writes to disk
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-data-'));
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const config: Config = {
    ...loadConfig({ DATABASE_URL: database.url, DATA_DIR: dataDir, IN_PROCESS_WORKER: 'false', LOG_LEVEL: 'silent', ...env }),
    s3: s3.s3,
  };
  const services = await startServices(config, log);
  const app = await buildApp(services, { logger: false });
  await app.ready();
  const a = await createTenant(services.db, 'tenant-a');
  const b = await createTenant(services.db, 'tenant-b');
  return {
    services,
    app,
    tenantId: a.tenantId,
    apiKey: a.apiKey,
    otherApiKey: b.apiKey,
    auth: { Authorization: `Bearer ${a.apiKey}` },
    otherAuth: { Authorization: `Bearer ${b.apiKey}` },
    config: services.config,
    databaseUrl: database.url,
    async close() {
      await app.close();
      await services.close();
      await s3.stop();
      await database.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
