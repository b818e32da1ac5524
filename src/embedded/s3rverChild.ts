// Runs s3rver behind its signature guard in a child process (started by s3server.ts with
// --openssl-legacy-provider, which s3rver's ListObjectsV2 tokens need). Only the guard listens, on
// 127.0.0.1. It exits when its parent's stdin pipe closes, so a killed parent never leaves an
// orphaned server behind.
import http from 'node:http';
import S3rver from 's3rver';
import { s3Guard } from './s3Guard.ts';
import { createSigV4Verifier, type S3Credentials } from './sigv4.ts';

const [directory, maxUpload, requestedPort = '0'] = process.argv.slice(2);
// passed in the environment, not argv, so that `ps` does not show them
const credentials = JSON.parse(process.env.EMBEDDED_S3_CREDENTIALS ?? '{}') as S3Credentials;
delete process.env.EMBEDDED_S3_CREDENTIALS;

const s3rver = new S3rver({ directory, silent: true, vhostBuckets: false });
await s3rver.configureBuckets();
const server = http.createServer(
  s3Guard(s3rver.callback(), createSigV4Verifier(credentials), { maxPresignedUploadBytes: Number(maxUpload) }),
);
await new Promise<void>((resolve) => server.listen(Number(requestedPort), '127.0.0.1', resolve));
const { port } = server.address() as { port: number };
process.stdout.write(`listening on 127.0.0.1:${port}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// Ctrl-C in a terminal reaches the whole process group: the parent decides when we stop (its
// services.close(), after the worker has written its checkpoint here)
process.on('SIGINT', () => {});
