// `npm start`: the API (and, on the embedded default, one in-process worker). Production runs the
// same entry point with DATABASE_URL and S3_* set and workers started apart (`npm run worker`).
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from './config.ts';
import { startServices, type Services } from './services.ts';
import { buildApp } from './app.ts';
import { ensureBootstrapKey, generateApiKey } from './domain/tenants.ts';
import { startWorker } from '../workers/worker.ts';
import { secretFile } from './embedded/secretFile.ts';
import { StartupError } from './embedded/startupError.ts';

/** On the embedded default, a key generated once and kept under DATA_DIR so restarts reuse it. */
async function embeddedApiKey(dataDir: string): Promise<string> {
  return secretFile(path.join(dataDir, 'api-key'), generateApiKey);
}

async function main() {
  const config = loadConfig();
  const log = pino({ level: config.logLevel });
  const embedded = !config.databaseUrl;
  const services: Services = await startServices(config, log);
  const apiKey = config.bootstrapApiKey ?? (embedded ? await embeddedApiKey(config.dataDir) : undefined);
  if (apiKey) await ensureBootstrapKey(services.db, apiKey);

  const app = await buildApp(services, { logger: { level: config.logLevel } });
  const worker = config.inProcessWorker ? await startWorker(services, log) : undefined;
  await app.listen({ port: config.port, host: config.host });
  const base = config.publicUrl ?? `http://localhost:${config.port}`;
  const lines = [
    `simsiam-service listening on ${base}`,
    `  REST      ${base}/v1   (OpenAPI + Swagger UI: ${base}/docs)`,
    `  GraphQL   ${base}/graphql${config.graphiql ? `   (GraphiQL: ${base}/graphiql)` : ''}`,
    `  health    ${base}/healthz (liveness), ${base}/readyz (PostgreSQL and S3)`,
    embedded ? `  storage   embedded PostgreSQL + S3 under ${config.dataDir}` : undefined,
    worker ? '  worker    1 in-process worker' : '  worker    none in-process (run `npm run worker`)',
    apiKey && !config.bootstrapApiKey ? `  API key   ${apiKey}\n  try: curl -H "Authorization: Bearer ${apiKey}" ${base}/v1/datasets` : undefined,
  ];
  process.stdout.write(`${lines.filter(Boolean).join('\n')}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await app.close();
    await worker?.stop();
    await services.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  // a start-up refusal is one sentence for the operator, not a stack trace
  console.error(err instanceof StartupError ? err.message : err);
  process.exit(1);
});
