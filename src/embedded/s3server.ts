// The embedded S3-protocol server: s3rver on local disk behind a SigV4 guard (s3Guard.ts), run as a
// child process because s3rver needs --openssl-legacy-provider (its ListObjectsV2 continuation
// tokens use DES) and we do not want that flag in the API process. It listens on 127.0.0.1 only,
// with an access key generated once per data directory and kept in `credentialsFile` (mode 0600).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { S3Config } from '../config.ts';
import { secretFile } from './secretFile.ts';
import type { S3Credentials } from './sigv4.ts';

export interface EmbeddedS3Handle {
  s3: S3Config;
  stop(): Promise<void>;
}

export interface EmbeddedS3Options {
  /** where s3rver keeps buckets and objects */
  directory: string;
  /** where the generated access key is kept */
  credentialsFile: string;
  bucket?: string;
  /** the most a presigned upload may send */
  maxPresignedUploadBytes: number;
  /** 0 (the default) picks a free port; a fixed one lets a restarted server keep its endpoint */
  port?: number;
}

const REGION = 'us-east-1';

async function credentialsOf(file: string): Promise<S3Credentials> {
  const raw = await secretFile(file, () =>
    JSON.stringify({ accessKeyId: `SSK${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64url') }),
  );
  const { accessKeyId, secretAccessKey } = JSON.parse(raw) as Partial<S3Credentials>;
  if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string') {
    throw new Error(`${file} does not hold embedded S3 credentials; remove it to generate new ones`);
  }
  return { accessKeyId, secretAccessKey, region: REGION };
}

export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3Handle> {
  const { directory, bucket = 'simsiam' } = options;
  await fs.mkdir(directory, { recursive: true, mode: 0o700 });
  const credentials = await credentialsOf(options.credentialsFile);
  const entry = fileURLToPath(new URL('./s3rverChild.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '--import', import.meta.resolve('tsx'), entry, directory, String(options.maxPresignedUploadBytes), String(options.port ?? 0)],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, EMBEDDED_S3_CREDENTIALS: JSON.stringify(credentials) } },
  );
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
    child.once('exit', (code) => reject(new Error(`embedded S3 server exited with ${code}: ${out}`)));
  });
  child.stdout.resume();
  child.stderr.resume();
  return {
    s3: {
      endpoint: `http://127.0.0.1:${port}`,
      bucket,
      region: REGION,
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
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
