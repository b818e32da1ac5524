// All blob I/O goes through this module: one S3 client, one bucket. Works against AWS S3 and any
// S3-protocol server; nothing here assumes the embedded one.
import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Config } from '../config.ts';

export interface ObjectInfo {
  key: string;
  size: number;
}

export interface BlobStore {
  readonly bucket: string;
  readonly client: S3Client;
  ensureBucket(): Promise<void>;
  ping(): Promise<void>;
  put(key: string, body: Buffer | Uint8Array | string, contentType?: string): Promise<void>;
  /** Multipart upload of a stream of unknown length; memory is bounded by the part size. */
  putStream(key: string, body: Readable, contentType?: string): Promise<void>;
  get(key: string): Promise<Buffer>;
  getStream(key: string): Promise<{ body: Readable; size?: number; contentType?: string }>;
  /** Bytes `start`..`end` (inclusive; to the end of the object when omitted) as a stream. */
  getRange(key: string, start: number, end?: number): Promise<Readable>;
  head(key: string): Promise<ObjectInfo | undefined>;
  list(prefix: string): AsyncGenerator<ObjectInfo>;
  deletePrefix(prefix: string): Promise<number>;
  deleteKeys(keys: string[]): Promise<void>;
  presignPut(key: string, expiresInSeconds: number, contentType?: string): Promise<string>;
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
}

export function createBlobStore(config: S3Config): BlobStore {
  const client = new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    credentials:
      config.accessKeyId && config.secretAccessKey
        ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
        : undefined,
    // Checksums only where S3 demands them: the SDK's default aws-chunked streaming framing is not
    // understood by every S3-protocol server (s3rver stores it verbatim), and AWS accepts either.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = config.bucket;

  const isMissing = (err: unknown) => {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
  };

  async function deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
    }
  }

  async function* list(prefix: string): AsyncGenerator<ObjectInfo> {
    let ContinuationToken: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken, MaxKeys: 1000 }));
      for (const item of page.Contents ?? []) yield { key: item.Key!, size: item.Size ?? 0 };
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  return {
    bucket: Bucket,
    client,
    async ensureBucket() {
      try {
        await client.send(new HeadBucketCommand({ Bucket }));
      } catch (err) {
        if (!isMissing(err)) throw err;
        await client.send(new CreateBucketCommand({ Bucket }));
      }
    },
    async ping() {
      await client.send(new HeadBucketCommand({ Bucket }));
    },
    async put(key, body, contentType) {
      await client.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentType: contentType }));
    },
    async putStream(key, body, contentType) {
      await new Upload({ client, params: { Bucket, Key: key, Body: body, ContentType: contentType }, queueSize: 2, partSize: 8 * 1024 * 1024 }).done();
    },
    async get(key) {
      const res = await client.send(new GetObjectCommand({ Bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    },
    async getStream(key) {
      const res = await client.send(new GetObjectCommand({ Bucket, Key: key }));
      return { body: res.Body as Readable, size: res.ContentLength, contentType: res.ContentType };
    },
    async getRange(key, start, end) {
      const res = await client.send(new GetObjectCommand({ Bucket, Key: key, Range: `bytes=${start}-${end ?? ''}` }));
      return res.Body as Readable;
    },
    async head(key) {
      try {
        const res = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return { key, size: res.ContentLength ?? 0 };
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },
    list,
    async deletePrefix(prefix) {
      const keys: string[] = [];
      for await (const obj of list(prefix)) keys.push(obj.key);
      await deleteKeys(keys);
      return keys.length;
    },
    deleteKeys,
    presignPut: (key, expiresIn, contentType) =>
      getSignedUrl(client, new PutObjectCommand({ Bucket, Key: key, ContentType: contentType }), { expiresIn }),
    presignGet: (key, expiresIn) => getSignedUrl(client, new GetObjectCommand({ Bucket, Key: key }), { expiresIn }),
  };
}
