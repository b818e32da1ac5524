// Direct upload: the client PUTs each file to a presigned staging URL, so the API never proxies the
// bytes; completing the upload runs the staged objects through the ingest pipeline and removes them.
import type { Db } from '../db/client.ts';
import { errors } from '../errors/catalogue.ts';
import { newId } from '../domain/ids.ts';
import { keys } from '../storage/keys.ts';
import type { BlobStore } from '../storage/s3.ts';
import { runIngest, type IngestDeps, type IngestResult } from './store.ts';

/** Presigned URLs work this long; the upload can be completed until expiresAt. */
export const URL_TTL_SECONDS = 60 * 60;
const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;

export interface UploadFileRequest {
  name: string;
  label?: string | null;
  contentType?: string;
}

interface StagedItem {
  name: string;
  label: string | null;
  s3Key: string;
}

export async function createDirectUpload(deps: { db: Db; blobs: BlobStore }, datasetId: string, files: UploadFileRequest[]) {
  const uploadId = newId('up');
  const items: StagedItem[] = files.map((f, i) => ({
    name: f.name,
    label: f.label?.trim() || null,
    s3Key: keys.uploadStaging(datasetId, uploadId, i),
  }));
  const expiresAt = new Date(Date.now() + UPLOAD_TTL_MS);
  await deps.db.directUpload.create({ data: { id: uploadId, datasetId, items: items as object[], expiresAt } });
  const urls = await Promise.all(
    files.map((f, i) => deps.blobs.presignPut(items[i].s3Key, URL_TTL_SECONDS, f.contentType)),
  );
  return {
    uploadId,
    expiresAt,
    urlExpiresInSeconds: URL_TTL_SECONDS,
    files: files.map((f, i) => ({
      index: i,
      name: f.name,
      method: 'PUT' as const,
      url: urls[i],
      // a URL signed with a Content-Type only accepts a PUT that sends the same one
      headers: f.contentType ? { 'Content-Type': f.contentType } : {},
    })),
  };
}

/**
 * Completes an upload once. A second call after success answers the stored result; a call while
 * another is running answers 409; a failed completion returns the upload to pending for a retry.
 */
export async function completeDirectUpload(deps: IngestDeps, datasetId: string, uploadId: string): Promise<IngestResult> {
  const upload = await deps.db.directUpload.findFirst({ where: { id: uploadId, datasetId } });
  if (!upload) throw errors.UPLOAD_NOT_FOUND(uploadId);
  if (upload.status === 'completed') return upload.result as unknown as IngestResult;
  if (upload.expiresAt < new Date()) throw errors.UPLOAD_EXPIRED(uploadId, upload.expiresAt.toISOString());
  const claimed = await deps.db.directUpload.updateMany({ where: { id: uploadId, status: 'pending' }, data: { status: 'completing' } });
  if (claimed.count === 0) throw errors.UPLOAD_IN_PROGRESS(uploadId);

  const prefix = keys.uploadPrefix(datasetId, uploadId);
  try {
    const sizes = new Map<string, number>();
    for await (const obj of deps.blobs.list(prefix)) sizes.set(obj.key, obj.size);
    const result = await runIngest(deps, datasetId, async (sink) => {
      for (const item of upload.items as unknown as StagedItem[]) {
        const size = sizes.get(item.s3Key);
        if (size === undefined) sink.skip(item.name, 'NOT_UPLOADED');
        else if (size > deps.limits.maxImageBytes) sink.skip(item.name, 'FILE_TOO_LARGE');
        else await sink.add({ name: item.name, label: item.label, split: null }, () => deps.blobs.get(item.s3Key), size);
      }
    });
    await deps.db.directUpload.update({ where: { id: uploadId }, data: { status: 'completed', result: result as object } });
    await deps.blobs.deletePrefix(prefix);
    return result;
  } catch (err) {
    await deps.db.directUpload.update({ where: { id: uploadId }, data: { status: 'pending' } }).catch(() => {});
    throw err;
  }
}

// a completion still running this long after expiry has crashed (completions are not cut off at expiry)
const STUCK_COMPLETION_MS = 6 * 60 * 60 * 1000;

/**
 * Removes the staged objects of uploads that expired without completing (the client gave up, or a
 * completion crashed) and marks them expired. Idempotent: any number of workers may run it.
 */
export async function sweepExpiredUploads(deps: { db: Db; blobs: BlobStore }, now = new Date()): Promise<number> {
  const expired = await deps.db.directUpload.findMany({
    where: {
      OR: [
        { status: 'pending', expiresAt: { lt: now } },
        { status: 'completing', expiresAt: { lt: new Date(now.getTime() - STUCK_COMPLETION_MS) } },
      ],
    },
    select: { id: true, datasetId: true },
    take: 1000,
  });
  for (const upload of expired) {
    await deps.blobs.deletePrefix(keys.uploadPrefix(upload.datasetId, upload.id));
    await deps.db.directUpload.updateMany({ where: { id: upload.id, status: { in: ['pending', 'completing'] } }, data: { status: 'expired' } });
  }
  return expired.length;
}
