// The embedded cluster's server process. It runs in a process group of its own: Ctrl-C in a terminal
// signals the whole foreground group, and a PostgreSQL that shut down with the service would leave
// the worker unable to write the checkpoint it hands its job back with. The service stops it last
// (services.close()), after the worker.
//
// Being outside our group, it outlives a service killed with SIGKILL. The next start on the same
// DATA_DIR stops such a leftover; while the service that started it still runs, the start is
// refused instead (DATA_DIR/postgres.owner holds that service's pid).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from './startupError.ts';

export interface PostmasterOptions {
  /** the `postgres` binary */
  binary: string;
  databaseDir: string;
  /** where the owner's pid is kept: outside databaseDir, which root's `postgres` user owns */
  ownerFile: string;
  port: number;
  flags: string[];
  /** as root, the unprivileged account the server runs as */
  account?: { uid: number; gid: number };
}

export interface Postmaster {
  stop(): Promise<void>;
}

const READY = 'database system is ready to accept connections';
const LEFTOVER_STOP_MS = 30_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function pidIn(file: string): Promise<number | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function exited(pid: number, withinMs: number): Promise<boolean> {
  for (const until = Date.now() + withinMs; Date.now() < until; ) {
    if (!alive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !alive(pid);
}

/** Stops a server a killed service left running on `databaseDir`; refuses while its service lives. */
async function stopLeftover(databaseDir: string, ownerFile: string): Promise<void> {
  const pid = await pidIn(path.join(databaseDir, 'postmaster.pid'));
  if (!pid || !alive(pid)) return;
  const owner = await pidIn(ownerFile);
  if (owner && owner !== process.pid && alive(owner)) {
    throw new StartupError(
      `Another service (pid ${owner}) is running on this DATA_DIR with its embedded PostgreSQL (pid ${pid}); stop it first, or give this one a DATA_DIR of its own.`,
    );
  }
  // fast shutdown: the leftover's clients died with its service
  process.kill(pid, 'SIGINT');
  if (!(await exited(pid, LEFTOVER_STOP_MS))) {
    throw new StartupError(`The embedded PostgreSQL (pid ${pid}) left running under ${databaseDir} did not stop within ${LEFTOVER_STOP_MS / 1000} s; stop it and start again.`);
  }
}

function whenReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(READY)) {
        child.off('exit', onExit);
        output = '';
        resolve();
      }
    });
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`embedded PostgreSQL exited (${signal ?? `code ${code}`}) while starting: ${output.trim().split('\n').slice(-3).join(' | ')}`));
    child.once('exit', onExit);
    child.once('error', reject);
  });
}

export async function startPostmaster(opts: PostmasterOptions): Promise<Postmaster> {
  await stopLeftover(opts.databaseDir, opts.ownerFile);
  const child = spawn(opts.binary, ['-D', opts.databaseDir, '-p', String(opts.port), ...opts.flags], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    // English messages: readiness is read off the log
    env: { ...process.env, LC_MESSAGES: 'C' },
    ...opts.account,
  });
  await whenReady(child);
  // its log is not ours to keep; a full pipe would block it
  child.stderr!.resume();
  await fs.writeFile(opts.ownerFile, `${process.pid}\n`);
  return {
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await done;
      await fs.rm(opts.ownerFile, { force: true });
    },
  };
}
