// Creates the embedded cluster: initdb with a superuser password (never on a command line), UTF-8
// with the C locale whatever the environment's LANG (so the server's messages, which postmaster.ts
// waits for, are English), run as the account that will own the cluster.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface InitdbOptions {
  /** the `initdb` binary */
  binary: string;
  databaseDir: string;
  user: string;
  password: string;
  /** as root, the unprivileged account that owns and runs the cluster */
  account?: { uid: number; gid: number };
}

export async function initdb({ binary, databaseDir, user, password, account }: InitdbOptions): Promise<void> {
  await fs.mkdir(databaseDir, { recursive: true, mode: 0o700 });
  // the password goes through a file only the cluster's owner can read, beside the cluster
  const secrets = await fs.mkdtemp(path.join(path.dirname(databaseDir), '.initdb-'));
  const passwordFile = path.join(secrets, 'password');
  try {
    await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (account) {
      for (const own of [databaseDir, secrets, passwordFile]) await fs.chown(own, account.uid, account.gid);
    }
    const args = [`--pgdata=${databaseDir}`, '--auth=scram-sha-256', `--username=${user}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--no-locale'];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(account && { uid: account.uid, gid: account.gid }) });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`initdb failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`)),
      );
    });
  } finally {
    await fs.rm(secrets, { recursive: true, force: true });
  }
}
