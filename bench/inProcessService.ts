// The service in the bench's own process, on a fresh database of the local PostgreSQL and a fresh
// s3rver (as the tests do), listening on a free port: a bench can then measure the API's memory.
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { startServices, type Services } from '../src/services.ts';
import { buildApp } from '../src/app.ts';
import { createTenant } from '../src/domain/tenants.ts';
import type { S3Config } from '../src/config.ts';
import { createTestDatabase, startTestS3 } from '../test/helpers/harness.ts';

export interface InProcessService {
  url: string;
  apiKey: string;
  tenantId: string;
  services: Services;
  s3: S3Config;
  close(): Promise<void>;
}

export async function startInProcessService(): Promise<InProcessService> {
  const database = await createTestDatabase();
  const s3 = await startTestS3();
  const config = { ...loadConfig({ ...process.env, DATABASE_URL: database.url, IN_PROCESS_WORKER: 'false' }), s3: s3.s3 };
  const services = await startServices(config, pino({ level: 'warn' }));
  const app = await buildApp(services, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { apiKey, tenantId } = await createTenant(services.db, 'bench');
  const { port } = app.server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    tenantId,
    services,
    s3: s3.s3,
    async close() {
      await app.close();
      await services.close();
      await s3.stop();
      await database.drop();
    },
  };
}
