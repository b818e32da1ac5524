// Runs the real `simsiam` CLI (node bin/simsiam.mjs) as a child process, with its own config
// directory and none of the caller's SIMSIAM_* settings.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/simsiam.mjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  /** stderr so far */
  stderr(): string;
  done: Promise<CliResult>;
}

export function startCli(configDir: string, args: string[], env: Record<string, string> = {}): CliRun {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SIMSIAM_')));
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...base, SIMSIAM_CONFIG_DIR: configDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stderr: () => stderr, done };
}

export const runCli = (configDir: string, args: string[], env?: Record<string, string>) => startCli(configDir, args, env).done;
