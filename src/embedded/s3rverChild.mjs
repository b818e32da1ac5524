// Runs s3rver in a child process (started by s3server.ts with --openssl-legacy-provider). It exits
// when its parent's stdin pipe closes, so a killed parent never leaves an orphaned server behind.
import S3rver from 's3rver';

const [directory] = process.argv.slice(2);
const server = new S3rver({ directory, address: '127.0.0.1', port: 0, silent: true, vhostBuckets: false });
const { port } = await server.run();
process.stdout.write(`listening on 127.0.0.1:${port}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
