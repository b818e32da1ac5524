// The embedded S3 server from outside, as anyone who can reach its port: only requests signed with
// the data directory's own key get through, presigned URLs work only for their own key, method,
// lifetime and size bound, and nothing a refused request carried is stored.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import { S3Client, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startEmbeddedS3, type EmbeddedS3Handle } from '../../src/embedded/s3server.ts';
import { Sha256 } from '../../src/embedded/sigv4.ts';
import { createBlobStore, type BlobStore } from '../../src/storage/s3.ts';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { image } from '../ingest/fixtures.ts';
import { keys } from '../../src/storage/keys.ts';
import { readImageBytes } from '../../src/storage/imageBytes.ts';

const MAX_UPLOAD = 4096;

describe('embedded S3: signatures', () => {
  let dir: string;
  let server: EmbeddedS3Handle;
  let blobs: BlobStore;
  let endpoint: string;
  let bucket: string;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-s3auth-'));
    server = await startEmbeddedS3({
      directory: path.join(dir, 'objects'),
      credentialsFile: path.join(dir, 'credentials.json'),
      bucket: 'guarded',
      maxPresignedUploadBytes: MAX_UPLOAD,
    });
    blobs = createBlobStore(server.s3);
    await blobs.ensureBucket();
    endpoint = server.s3.endpoint!;
    bucket = server.s3.bucket;
    await blobs.put('tenant-a/secret.txt', 'a-secret');
    await blobs.put('images/sha256/ab/abcd', 'original bytes');
  });
  after(async () => {
    await server.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  interface SignOptions {
    secret?: string;
    accessKeyId?: string;
    date?: Date;
    region?: string;
    headers?: Record<string, string>;
    query?: Record<string, string>;
  }

  /** Authorization-header signing of `method path` with the given key material: the headers to send. */
  async function signHeaders(method: string, path: string, opts: SignOptions = {}) {
    const { host, port } = new URL(endpoint);
    const signer = new SignatureV4({
      credentials: { accessKeyId: opts.accessKeyId ?? server.s3.accessKeyId!, secretAccessKey: opts.secret ?? server.s3.secretAccessKey! },
      region: opts.region ?? server.s3.region,
      service: 's3',
      sha256: Sha256,
      uriEscapePath: false,
    });
    const signed = await signer.sign(
      { method, protocol: 'http:', hostname: '127.0.0.1', port: Number(port), path, query: opts.query ?? {}, headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...opts.headers } },
      { signingDate: opts.date ?? new Date() },
    );
    const { host: _host, ...headers } = signed.headers;
    return headers;
  }

  /** A request signed (header form) for `key` with the given key material, sent raw. */
  async function signedFetch(method: string, key: string, opts: SignOptions & { body?: string } = {}) {
    const path = `/${bucket}/${key}`;
    const qs = new URLSearchParams(opts.query ?? {}).toString();
    return fetch(`${endpoint}${path}${qs ? `?${qs}` : ''}`, { method, headers: await signHeaders(method, path, opts), body: opts.body });
  }

  async function assertRefused(res: Response, status: number, code: string) {
    const text = await res.text();
    assert.equal(res.status, status, text);
    assert.match(text, new RegExp(`<Code>${code}</Code>`));
  }

  async function content(key: string): Promise<string | undefined> {
    return (await blobs.head(key)) ? (await blobs.get(key)).toString() : undefined;
  }

  async function stillServes() {
    assert.equal(await content('tenant-a/secret.txt'), 'a-secret');
  }

  describe('unsigned requests', () => {
    it('GET of an object is refused', async () => {
      await assertRefused(await fetch(`${endpoint}/${bucket}/tenant-a/secret.txt`), 403, 'AccessDenied');
      await stillServes();
    });
    it('ListObjectsV2 is refused', async () => {
      await assertRefused(await fetch(`${endpoint}/${bucket}?list-type=2`), 403, 'AccessDenied');
      await stillServes();
    });
    it('ListBuckets is refused', async () => {
      await assertRefused(await fetch(`${endpoint}/`), 403, 'AccessDenied');
      await stillServes();
    });
    it('PUT is refused and stores nothing', async () => {
      await assertRefused(await fetch(`${endpoint}/${bucket}/anon.txt`, { method: 'PUT', body: 'x' }), 403, 'AccessDenied');
      assert.equal(await content('anon.txt'), undefined);
    });
    it('PUT over a content-addressed image is refused and the original stays', async () => {
      await assertRefused(await fetch(`${endpoint}/${bucket}/images/sha256/ab/abcd`, { method: 'PUT', body: 'evil' }), 403, 'AccessDenied');
      assert.equal(await content('images/sha256/ab/abcd'), 'original bytes');
    });
    it('DELETE is refused and the object stays', async () => {
      await assertRefused(await fetch(`${endpoint}/${bucket}/tenant-a/secret.txt`, { method: 'DELETE' }), 403, 'AccessDenied');
      await stillServes();
    });
    it('HEAD of the bucket is refused', async () => {
      const res = await fetch(`${endpoint}/${bucket}`, { method: 'HEAD' });
      assert.equal(res.status, 403);
      await stillServes();
    });
    it('s3rver\u2019s published development key S3RVER/S3RVER is refused', async () => {
      await assertRefused(await signedFetch('GET', 'tenant-a/secret.txt', { accessKeyId: 'S3RVER', secret: 'S3RVER' }), 403, 'InvalidAccessKeyId');
      await stillServes();
    });
  });

  describe('signed with the Authorization header', () => {
    it('the right key reads an object', async () => {
      const res = await signedFetch('GET', 'tenant-a/secret.txt');
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'a-secret');
    });
    it('the right access key with a wrong secret is SignatureDoesNotMatch', async () => {
      await assertRefused(await signedFetch('GET', 'tenant-a/secret.txt', { secret: 'wrong-secret' }), 403, 'SignatureDoesNotMatch');
      await stillServes();
    });
    it('an unknown access key is InvalidAccessKeyId', async () => {
      await assertRefused(await signedFetch('GET', 'tenant-a/secret.txt', { accessKeyId: 'AKIAOTHER' }), 403, 'InvalidAccessKeyId');
    });
    it('a signature with one hex digit changed is refused', async () => {
      const headers = await signHeaders('GET', `/${bucket}/tenant-a/secret.txt`);
      const auth = String(headers.authorization);
      const flipped = auth.slice(0, -1) + (auth.endsWith('0') ? '1' : '0');
      await assertRefused(await fetch(`${endpoint}/${bucket}/tenant-a/secret.txt`, { headers: { ...headers, authorization: flipped } }), 403, 'SignatureDoesNotMatch');
    });
    it('headers signed for one key replayed against another key are refused', async () => {
      const headers = await signHeaders('PUT', `/${bucket}/scratch/mine`);
      await assertRefused(await fetch(`${endpoint}/${bucket}/images/sha256/ab/abcd`, { method: 'PUT', headers, body: 'evil' }), 403, 'SignatureDoesNotMatch');
      assert.equal(await content('images/sha256/ab/abcd'), 'original bytes');
    });
    it('a signed GET replayed as DELETE is refused', async () => {
      const headers = await signHeaders('GET', `/${bucket}/tenant-a/secret.txt`);
      await assertRefused(await fetch(`${endpoint}/${bucket}/tenant-a/secret.txt`, { method: 'DELETE', headers }), 403, 'SignatureDoesNotMatch');
      await stillServes();
    });
    it('a request dated 20 minutes ago is RequestTimeTooSkewed', async () => {
      await assertRefused(await signedFetch('GET', 'tenant-a/secret.txt', { date: new Date(Date.now() - 20 * 60_000) }), 403, 'RequestTimeTooSkewed');
    });
    it('a scope for another region is refused', async () => {
      await assertRefused(await signedFetch('GET', 'tenant-a/secret.txt', { region: 'eu-west-1' }), 400, 'AuthorizationHeaderMalformed');
    });
    it('a malformed Authorization header is refused', async () => {
      await assertRefused(await fetch(`${endpoint}/${bucket}/tenant-a/secret.txt`, { headers: { authorization: 'AWS S3RVER:abc' } }), 400, 'AuthorizationHeaderMalformed');
    });
    it('an unsigned x-amz-copy-source header is dropped: a signed PUT stores its own body, not a copy', async () => {
      const headers = await signHeaders('PUT', `/${bucket}/scratch/copy-target`);
      const put = await fetch(`${endpoint}/${bucket}/scratch/copy-target`, {
        method: 'PUT',
        headers: { ...headers, 'x-amz-copy-source': `/${bucket}/tenant-a/secret.txt` },
        body: 'own body',
      });
      assert.equal(put.status, 200);
      assert.equal(await content('scratch/copy-target'), 'own body');
    });
    it('a malformed query string is refused', async () => {
      const res = await fetch(`${endpoint}/${bucket}?list-type=2&prefix=%E0%A4%A`, { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=x' } });
      assert.equal(res.status, 400);
      await stillServes();
    });
    it('Authorization header and presigned parameters together are refused', async () => {
      const url = await blobs.presignGet('tenant-a/secret.txt', 60);
      const signed = await signedFetch('GET', 'tenant-a/secret.txt');
      assert.equal(signed.status, 200);
      await assertRefused(await fetch(url, { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=a/b/c/s3/aws4_request, SignedHeaders=host, Signature=' + '0'.repeat(64) } }), 400, 'InvalidArgument');
    });
  });

  describe('presigned URLs', () => {
    it('a presigned PUT stores its body under its own key', async () => {
      const url = await blobs.presignPut('uploads/ds/up/0', 60);
      const res = await fetch(url, { method: 'PUT', body: 'staged' });
      assert.equal(res.status, 200);
      assert.equal(await content('uploads/ds/up/0'), 'staged');
    });
    it('the same URL with its key swapped is refused and the other key is untouched', async () => {
      const url = await blobs.presignPut('uploads/ds/up/1', 60);
      const swapped = url.replace('uploads/ds/up/1', 'images/sha256/ab/abcd');
      await assertRefused(await fetch(swapped, { method: 'PUT', body: 'evil' }), 403, 'SignatureDoesNotMatch');
      assert.equal(await content('images/sha256/ab/abcd'), 'original bytes');
    });
    it('the same URL pointed at another bucket path is refused', async () => {
      const url = await blobs.presignPut('uploads/ds/up/2', 60);
      await assertRefused(await fetch(url.replace(`/${bucket}/`, '/other-bucket/'), { method: 'PUT', body: 'x' }), 403, 'SignatureDoesNotMatch');
    });
    it('a presigned GET URL cannot be used to PUT', async () => {
      const url = await blobs.presignGet('tenant-a/secret.txt', 60);
      await assertRefused(await fetch(url, { method: 'PUT', body: 'overwrite' }), 403, 'SignatureDoesNotMatch');
      await stillServes();
    });
    it('a presigned PUT URL cannot be used to DELETE', async () => {
      await blobs.put('uploads/ds/up/3', 'keep');
      const url = await blobs.presignPut('uploads/ds/up/3', 60);
      await assertRefused(await fetch(url, { method: 'DELETE' }), 403, 'SignatureDoesNotMatch');
      assert.equal(await content('uploads/ds/up/3'), 'keep');
    });
    it('a presigned PUT URL cannot be used to read', async () => {
      await blobs.put('uploads/ds/up/4', 'private');
      const url = await blobs.presignPut('uploads/ds/up/4', 60);
      await assertRefused(await fetch(url), 403, 'SignatureDoesNotMatch');
    });
    it('an extra query parameter breaks the signature', async () => {
      const url = await blobs.presignGet('tenant-a/secret.txt', 60);
      await assertRefused(await fetch(`${url}&response-content-type=text%2Fhtml`), 403, 'SignatureDoesNotMatch');
    });
    it('a longer X-Amz-Expires than was signed is refused', async () => {
      const url = await blobs.presignGet('tenant-a/secret.txt', 60);
      await assertRefused(await fetch(url.replace('X-Amz-Expires=60', 'X-Amz-Expires=600')), 403, 'SignatureDoesNotMatch');
    });
    it('an expired URL is refused', async () => {
      const url = await blobs.presignGet('tenant-a/secret.txt', 1);
      await new Promise((r) => setTimeout(r, 2100));
      await assertRefused(await fetch(url), 403, 'AccessDenied');
    });
    it('a lifetime over seven days is refused', async () => {
      const url = await blobs.presignGet('tenant-a/secret.txt', 60);
      await assertRefused(await fetch(url.replace('X-Amz-Expires=60', 'X-Amz-Expires=999999')), 400, 'AuthorizationQueryParametersError');
    });
    it('a URL signed with another secret is refused', async () => {
      const other = createBlobStore({ ...server.s3, secretAccessKey: 'not-the-secret' });
      const url = await other.presignPut('uploads/ds/up/5', 60);
      await assertRefused(await fetch(url, { method: 'PUT', body: 'x' }), 403, 'SignatureDoesNotMatch');
      assert.equal(await content('uploads/ds/up/5'), undefined);
    });
    it('an upload over the size bound is refused before anything is stored', async () => {
      const url = await blobs.presignPut('uploads/ds/up/6', 60);
      await assertRefused(await fetch(url, { method: 'PUT', body: 'x'.repeat(MAX_UPLOAD + 1) }), 400, 'EntityTooLarge');
      assert.equal(await content('uploads/ds/up/6'), undefined);
    });
    it('an upload at the size bound is stored', async () => {
      const url = await blobs.presignPut('uploads/ds/up/7', 60);
      assert.equal((await fetch(url, { method: 'PUT', body: 'y'.repeat(MAX_UPLOAD) })).status, 200);
      assert.equal((await content('uploads/ds/up/7'))?.length, MAX_UPLOAD);
    });
    it('an upload without Content-Length (chunked) is refused', async () => {
      const url = await blobs.presignPut('uploads/ds/up/8', 60);
      const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('chunk')); c.close(); } });
      const res = await fetch(url, { method: 'PUT', body, duplex: 'half' } as RequestInit);
      await assertRefused(res, 411, 'MissingContentLength');
      assert.equal(await content('uploads/ds/up/8'), undefined);
    });
    it('an unsigned x-amz-copy-source on a presigned PUT does not copy another object', async () => {
      const url = await blobs.presignPut('uploads/ds/up/9', 60);
      const res = await fetch(url, { method: 'PUT', body: 'mine', headers: { 'x-amz-copy-source': `/${bucket}/tenant-a/secret.txt` } });
      assert.equal(res.status, 200);
      assert.equal(await content('uploads/ds/up/9'), 'mine');
    });
  });

  describe('the service\u2019s own client', () => {
    it('lists, reads, writes large objects (multipart) and deletes', async () => {
      await blobs.putStream('scratch/big', (await import('node:stream')).Readable.from([Buffer.alloc(9 * 1024 * 1024, 7)]));
      assert.equal((await blobs.head('scratch/big'))?.size, 9 * 1024 * 1024);
      const listed = [];
      for await (const o of blobs.list('scratch/')) listed.push(o.key);
      assert.ok(listed.includes('scratch/big'));
      assert.equal(await blobs.deletePrefix('scratch/'), listed.length);
      assert.equal(await blobs.head('scratch/big'), undefined);
    });
    it('pages ListObjectsV2 with continuation tokens', async () => {
      for (let i = 0; i < 5; i++) await blobs.put(`paged/${i}`, String(i));
      const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: server.s3.accessKeyId!, secretAccessKey: server.s3.secretAccessKey! } });
      const first = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'paged/', MaxKeys: 2 }));
      assert.equal(first.Contents?.length, 2);
      const second = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'paged/', MaxKeys: 2, ContinuationToken: first.NextContinuationToken }));
      assert.equal(second.Contents?.length, 2);
      client.destroy();
    });
    it('keys with spaces and plus signs round-trip', async () => {
      await blobs.put('odd/a b+c=d.txt', 'odd');
      assert.equal(await content('odd/a b+c=d.txt'), 'odd');
    });
  });

  describe('where it listens and what it keeps', () => {
    it('listens on 127.0.0.1 only', async () => {
      assert.equal(new URL(endpoint).hostname, '127.0.0.1');
      const port = Number(new URL(endpoint).port);
      const other = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
      if (!other) return; // no other interface on this machine to try
      const reached = await new Promise<boolean>((resolve) => {
        const socket = net.connect({ host: other.address, port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      assert.equal(reached, false, `reachable on ${other.address}`);
    });
    it('keeps generated credentials in a 0600 file, reused on restart', async () => {
      const file = path.join(dir, 'credentials.json');
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
      const saved = JSON.parse(await fs.readFile(file, 'utf8'));
      assert.equal(saved.accessKeyId, server.s3.accessKeyId);
      assert.notEqual(saved.secretAccessKey, 'S3RVER');
      assert.ok(saved.secretAccessKey.length >= 32);
      const again = await startEmbeddedS3({ directory: path.join(dir, 'objects'), credentialsFile: file, bucket, maxPresignedUploadBytes: MAX_UPLOAD });
      try {
        assert.equal(again.s3.accessKeyId, server.s3.accessKeyId);
        assert.equal(await createBlobStore(again.s3).get('tenant-a/secret.txt').then(String), 'a-secret');
      } finally {
        await again.stop();
      }
    });
    it('another data directory gets other credentials, which this server refuses', async () => {
      const other = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-s3auth-other-'));
      const second = await startEmbeddedS3({ directory: path.join(other, 'objects'), credentialsFile: path.join(other, 'credentials.json'), bucket, maxPresignedUploadBytes: MAX_UPLOAD });
      try {
        assert.notEqual(second.s3.accessKeyId, server.s3.accessKeyId);
        const foreign = createBlobStore({ ...second.s3, endpoint });
        await assert.rejects(foreign.get('tenant-a/secret.txt'));
      } finally {
        await second.stop();
        await fs.rm(other, { recursive: true, force: true });
      }
    });
  });
});

describe('direct upload through the guarded server', () => {
  let env: TestEnv;
  let datasetId: string;
  const api = () => request(env.app.server);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  before(async () => {
    env = await createTestEnv();
    datasetId = (await api().post('/v1/datasets').set(env.auth).send({ name: 'direct' }).expect(201)).body.id;
  });
  after(async () => env.close());

  const startUpload = async (n = 1) =>
    (await api().post(`/v1/datasets/${datasetId}/uploads`).set(env.auth).send({ files: Array.from({ length: n }, (_, i) => ({ name: `f${i}.png`, label: 'cat' })) }).expect(201)).body;

  it('the stored image is the bytes the server read, under their sha256', async () => {
    const bytes = await image(501);
    const upload = await startUpload();
    assert.equal((await fetch(upload.files[0].url, { method: 'PUT', body: new Uint8Array(bytes) })).status, 200);
    const done = await api().post(`/v1/datasets/${datasetId}/uploads/${upload.uploadId}/complete`).set(env.auth).expect(201);
    assert.equal(done.body.added, 1);
    const row = await env.services.db.image.findFirstOrThrow({ where: { datasetId, sha256: sha(bytes) } });
    assert.equal(sha(await readImageBytes(env.services.blobs, row)), row.sha256);
  });

  it('a staging URL with its key swapped for a content address is refused; the address stays absent', async () => {
    const bytes = await image(502);
    const upload = await startUpload();
    const target = keys.image(sha(bytes));
    const swapped = upload.files[0].url.replace(/uploads\/[^?]+/, target);
    const res = await fetch(swapped, { method: 'PUT', body: Buffer.from('not the bytes of that address') });
    assert.equal(res.status, 403);
    assert.equal(await env.services.blobs.head(target), undefined);
  });

  it('a staging URL with its upload id swapped for another upload is refused', async () => {
    const first = await startUpload();
    const second = await startUpload();
    const swapped = first.files[0].url.replace(first.uploadId, second.uploadId);
    assert.equal((await fetch(swapped, { method: 'PUT', body: new Uint8Array(await image(503)) })).status, 403);
    const done = await api().post(`/v1/datasets/${datasetId}/uploads/${second.uploadId}/complete`).set(env.auth).expect(200);
    assert.deepEqual(done.body.skipped.map((s: { reason: string }) => s.reason), ['NOT_UPLOADED']);
  });

  it('a staged non-image completes as a skip and adds nothing', async () => {
    const before = await env.services.db.image.count({ where: { datasetId } });
    const upload = await startUpload();
    assert.equal((await fetch(upload.files[0].url, { method: 'PUT', body: '<svg/>' })).status, 200);
    const done = await api().post(`/v1/datasets/${datasetId}/uploads/${upload.uploadId}/complete`).set(env.auth).expect(200);
    assert.deepEqual(done.body.skipped, [{ name: 'f0.png', reason: 'NOT_AN_IMAGE' }]);
    assert.equal(await env.services.db.image.count({ where: { datasetId } }), before);
  });
});
