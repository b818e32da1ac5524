// A local S3-protocol server (s3rver) on local disk, run as a child process because it needs
// --openssl-legacy-provider (its ListObjectsV2 continuation tokens use DES) and we do not want that
// flag in the API process.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { S3Config } from '../config.ts';

export interface EmbeddedS3Handle {
  s3: S3Config;
  stop(): Promise<void>;
}

export async function startEmbeddedS3(directory: string, bucket = 'simsiam'): Promise<EmbeddedS3Handle> {
  await fs.mkdir(directory, { recursive: true });
  const entry = fileURLToPath(new URL('./s3rverChild.mjs', import.meta.url));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', entry, directory], { stdio: ['pipe', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on [^:\s]+:(\d+)/.exec(out);
      if (match) {
        child.stdout.off('data', onData);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}: ${out}`)));
  });
  child.stdout.resume();
  child.stderr.resume();
  return {
    s3: {
      endpoint: `http://127.0.0.1:${port}`,
      bucket,
      region: 'us-east-1',
      // s3rver's fixed development credentials
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
