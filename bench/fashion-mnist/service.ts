// The service the benchmark drives: an existing one (--url + --api-key), or `npm start` on a fresh
// temporary DATA_DIR and a free port, its key read from what it prints, stopped (whole process group:
// npm, node, embedded PostgreSQL and S3) at the end.
import { spawn } from 'node:child_process';
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

/** Starts `npm start`; its output goes to `logFile`. */
export async function startService(logFile: string): Promise<Service> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'simsiam-bench-'));
  // mkdtemp makes it 0700: as root, embedded PostgreSQL runs initdb as its own user, who must get in
  fs.chmodSync(dataDir, 0o755);
  const port = await freePort();
  const log = fs.openSync(logFile, 'a');
  // detached: its own process group, so stop() reaches the grandchildren npm starts
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    // warn: the benchmark polls every 2 s, request logs would only bury errors
    env: { LOG_LEVEL: 'warn', ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', log],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    }
    fs.closeSync(log);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const apiKey = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`service did not start within ${START_TIMEOUT_MS / 1000}s (see ${logFile})`)), START_TIMEOUT_MS);
      child.stdout!.on('data', (chunk: Buffer) => {
        fs.appendFileSync(logFile, chunk);
        out += chunk.toString();
        const key = /API key\s+(\S+)/.exec(out)?.[1];
        if (key) {
          clearTimeout(timer);
          resolve(key);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`service exited with ${code} before printing its API key (see ${logFile})`));
      });
    });
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
