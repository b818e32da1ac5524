// A PyTorch reference run (bench/reference/simsiam_train.py here, method_train.py for bench/tables) on
// the same images, decoded by the service's decoder. Its per-epoch lines (stderr) go to the log; its
// result is the last stdout line.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ReferenceResult } from './report.ts';

export const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
export const REFERENCE_SCRIPT = fileURLToPath(new URL('../reference/simsiam_train.py', import.meta.url));

export function runReference<T = ReferenceResult>(args: string[], logFile: string, onLine: (line: string) => void, script = REFERENCE_SCRIPT): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      fs.appendFileSync(logFile, c);
      for (const line of c.toString().split('\n').filter(Boolean)) onLine(line);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) return reject(new Error(`${PYTHON} ${script} exited with ${code} (see ${logFile})`));
      resolve(JSON.parse(last) as T);
    });
  });
}
