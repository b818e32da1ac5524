// As root, the embedded PostgreSQL runs as the unprivileged user `postgres`, which must be able to
// walk to its binaries (in node_modules) and to its cluster (under DATA_DIR). A checkout in a
// private folder (a clone under /root, a `mktemp -d`) blocks both. Rather than ask the operator to
// open that folder, root keeps what `postgres` cannot reach under a root-owned directory it can:
// the binaries, copied once per PostgreSQL version, and the cluster of each DATA_DIR, whose place
// DATA_DIR/postgres-cluster records so that every restart finds the same one.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from './startupError.ts';
import type { Account } from './pgAccount.ts';
import { blockingDirectory, unreachable } from './pgReachability.ts';

/** Where root keeps the embedded PostgreSQL's files that `postgres` cannot reach in place. */
export const DEFAULT_STATE_ROOT = '/var/lib/simsiam-service';

const CLUSTER_POINTER = 'postgres-cluster';

/** Refuses a directory that someone other than root could have written binaries or clusters into. */
async function rootOwned(dir: string): Promise<void> {
  const stat = await fs.lstat(dir);
  if (!stat.isDirectory() || stat.uid !== 0 || stat.mode & 0o022) {
    throw new StartupError(`${dir} must be a directory owned by root and writable by root only, as it holds the embedded PostgreSQL's files.`);
  }
}

async function stateRootFor(stateRoot: string, account: Account): Promise<string> {
  await fs.mkdir(stateRoot, { recursive: true, mode: 0o755 });
  await rootOwned(stateRoot);
  const blocked = await blockingDirectory(stateRoot, account);
  if (blocked) throw unreachable(blocked, stateRoot);
  return stateRoot;
}

/** Everyone may read every file and enter every folder of a copied tree; executables stay executable. */
async function openToAll(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) await openToAll(file);
    else if (entry.isFile()) {
      const { mode } = await fs.stat(file);
      await fs.chmod(file, mode & 0o100 ? 0o755 : 0o644);
    }
  }
}

/**
 * The folder of PostgreSQL binaries `account` runs: the package's own when it can reach it, else a
 * copy of the package's tree (bin, lib, share: the binaries find the rest relative to themselves).
 */
export async function reachableBinaries(binariesDir: string, account: Account, stateRoot: string): Promise<string> {
  if (!(await blockingDirectory(binariesDir, account))) return binariesDir;
  const tree = path.dirname(binariesDir);
  const { version } = JSON.parse(await fs.readFile(path.join(tree, '..', 'package.json'), 'utf8')) as { version: string };
  const root = await stateRootFor(stateRoot, account);
  const copy = path.join(root, `postgres-${version}`);
  const present = await fs.lstat(copy).then(() => true, () => false);
  if (!present) {
    // copied beside, then renamed: an interrupted copy never passes for a whole one
    const partial = `${copy}.partial-${process.pid}`;
    await fs.rm(partial, { recursive: true, force: true });
    await fs.cp(tree, partial, { recursive: true, verbatimSymlinks: true });
    await openToAll(partial);
    await fs.rename(partial, copy);
  }
  await rootOwned(copy);
  return path.join(copy, path.basename(binariesDir));
}

/**
 * The cluster directory for `dataDir`: DATA_DIR/postgres when `account` can reach it or a cluster is
 * already there, else a directory under the state root named after DATA_DIR's real path.
 */
export async function reachableCluster(dataDir: string, account: Account, stateRoot: string): Promise<string> {
  const pointer = path.join(dataDir, CLUSTER_POINTER);
  const recorded = (await fs.readFile(pointer, 'utf8').catch(() => '')).trim();
  if (recorded) return recorded;
  const inPlace = path.join(dataDir, 'postgres');
  const hasCluster = await fs.stat(path.join(inPlace, 'PG_VERSION')).then(() => true, () => false);
  if (hasCluster || !(await blockingDirectory(inPlace, account))) return inPlace;
  await fs.mkdir(dataDir, { recursive: true });
  const name = createHash('sha256').update(await fs.realpath(dataDir)).digest('hex').slice(0, 16);
  const clusters = path.join(await stateRootFor(stateRoot, account), 'clusters');
  await fs.mkdir(clusters, { recursive: true, mode: 0o755 });
  await rootOwned(clusters);
  const cluster = path.join(clusters, name);
  await fs.writeFile(pointer, `${cluster}\n`, { mode: 0o644 });
  return cluster;
}
