// The service the benchmark drives: an existing one (--url + --api-key), or `npm start` on a fresh
// temporary DATA_DIR and a free port, its key read from what it prints, restarted if it dies, stopped
// (its whole process group: npm and node, which stop their embedded PostgreSQL and S3) at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Service {
  url: string;
  apiKey: string;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START_TIMEOUT_MS = 5 * 60_000;
const MAX_RESTARTS = 3;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One `npm start` in its own process group, so a stop reaches npm and node as a terminal's Ctrl-C would. */
function spawnService(dataDir: string, port: number, logFile: string): ChildProcess {
  const log = fs.openSync(logFile, 'a');
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    // warn: the benchmark polls every 2 s, request logs would only bury errors
    env: { LOG_LEVEL: 'warn', ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', log],
    detached: true,
  });
  fs.closeSync(log);
  child.stdout!.on('data', (chunk: Buffer) => fs.appendFileSync(logFile, chunk));
  return child;
}

/** Resolves with the API key the service prints, rejects if it exits or hangs first. */
function printedKey(child: ChildProcess, logFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`service did not start within ${START_TIMEOUT_MS / 1000}s (see ${logFile})`)), START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const key = /API key\s+(\S+)/.exec(out)?.[1];
      if (key) {
        clearTimeout(timer);
        resolve(key);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`service exited (${signal ?? code}) before printing its API key (see ${logFile})`));
    });
  });
}

/**
 * Starts `npm start` on a temporary DATA_DIR and a free port; its output goes to `logFile`. If it
 * dies unexpectedly (seen on a shared machine: killed from outside), it is restarted on the same
 * DATA_DIR and port, with the same key: the running job resumes from its last checkpoint.
 */
export async function startService(logFile: string): Promise<Service> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'simsiam-bench-'));
  // mkdtemp makes it 0700: as root, embedded PostgreSQL runs initdb as its own user, who must get in
  fs.chmodSync(dataDir, 0o755);
  const port = await freePort();
  let stopping = false;
  let restarts = 0;
  let child = spawnService(dataDir, port, logFile);
  const watch = (c: ChildProcess) =>
    c.once('exit', (code, signal) => {
      if (stopping) return;
      fs.appendFileSync(logFile, `\n[bench] service exited unexpectedly (${signal ?? `code ${code}`})${restarts < MAX_RESTARTS ? ', restarting' : ''}\n`);
      if (restarts++ >= MAX_RESTARTS) return;
      // whatever of its group outlived it goes first (the next start stops a PostgreSQL it left running)
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        // the group is already gone
      }
      setTimeout(() => {
        if (stopping) return;
        child = spawnService(dataDir, port, logFile);
        watch(child);
      }, 2000);
    });
  const stop = async () => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const apiKey = await printedKey(child, logFile);
    watch(child);
    return { url: `http://127.0.0.1:${port}`, apiKey, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function connectService(opts: { url?: string; apiKey?: string; logFile: string }): Promise<Service> {
  if (!opts.url) return startService(opts.logFile);
  if (!opts.apiKey) throw new Error('--url needs --api-key (or SIMSIAM_API_KEY)');
  return { url: opts.url.replace(/\/$/, ''), apiKey: opts.apiKey, stop: async () => {} };
}
