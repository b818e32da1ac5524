// The service in the bench's own process, on the tests' real dependencies (a fresh database of the
// local PostgreSQL, a fresh s3rver), listening on a free port: a bench can then measure the API's memory.
import type { S3Config } from '../src/config.ts';
import type { Services } from '../src/services.ts';
import { createTestEnv } from '../test/helpers/harness.ts';

export interface InProcessService {
  url: string;
  apiKey: string;
  tenantId: string;
  services: Services;
  s3: S3Config;
  close(): Promise<void>;
}

export async function startInProcessService(): Promise<InProcessService> {
  const env = await createTestEnv();
  const url = await env.app.listen({ host: '127.0.0.1', port: 0 });
  return { url, apiKey: env.apiKey, tenantId: env.tenantId, services: env.services, s3: env.config.s3!, close: env.close };
}
