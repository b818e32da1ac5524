// Checkpoints live in S3 (bytes) and PostgreSQL (epoch, step, key, size, metrics). The row is
// written after the object, so a row always points at a complete checkpoint. Keeps the newest
// `keep` periodic ones plus the final. A save is idempotent per (step, final): saving a step again
// (a resumed attempt that stops where it started, two triggers at one step) rewrites the same key
// and row instead of failing the attempt.
import type { Services } from '../../src/services.ts';
import type { Prisma } from '../../src/db/client.ts';
import { newId } from '../../src/domain/ids.ts';
import { keys } from '../../src/storage/keys.ts';
import { withRetries, type RetryOptions } from '../../src/storage/retry.ts';
import { trainingMetrics } from '../../src/metrics/training.ts';
import { exportKeys } from '../../src/export/backboneExport.ts';

export interface SavedCheckpoint {
  id: string;
  epoch: number;
  step: number;
  s3Key: string;
}

// a storage hiccup is waited out (about 15 s in all) before the save gives up
export const CHECKPOINT_RETRIES: Omit<RetryOptions, 'onRetry'> = { retries: 5, baseDelayMs: 500, maxDelayMs: 8000 };

export function checkpointStore({ db, blobs }: Services, jobId: string, retry: RetryOptions = CHECKPOINT_RETRIES) {
  /** Objects first, then rows: a row never points at a deleted object. */
  const prune = async (keep: number) => {
    const stale = await db.checkpoint.findMany({ where: { jobId, isFinal: false }, orderBy: { step: 'desc' }, skip: keep });
    if (!stale.length) return;
    await blobs.deleteKeys(stale.flatMap((c) => [c.s3Key, ...exportKeys(jobId, c.id)]));
    await db.checkpoint.deleteMany({ where: { id: { in: stale.map((c) => c.id) } } });
  };
  return {
    async save(args: { epoch: number; step: number; bytes: Uint8Array; metrics: Prisma.InputJsonValue; final: boolean; keep: number }) {
      const written = trainingMetrics.checkpointTimer();
      const s3Key = keys.checkpoint(jobId, args.epoch, args.step, args.final);
      await withRetries(() => blobs.put(s3Key, args.bytes, 'application/octet-stream'), retry);
      const fields = { epoch: args.epoch, s3Key, sizeBytes: BigInt(args.bytes.byteLength), metrics: args.metrics };
      const row = await withRetries(
        () =>
          db.checkpoint.upsert({
            where: { jobId_step_isFinal: { jobId, step: args.step, isFinal: args.final } },
            create: { id: newId('ckpt'), jobId, step: args.step, isFinal: args.final, ...fields },
            update: fields,
          }),
        retry,
      );
      written();
      // pruning that fails is left to the next save: the checkpoint itself is safe
      await prune(args.keep).catch(() => {});
      return row;
    },
    /** The newest checkpoint to resume from, with its bytes. */
    async latest(): Promise<(SavedCheckpoint & { bytes: Uint8Array }) | undefined> {
      const row = await db.checkpoint.findFirst({ where: { jobId }, orderBy: [{ step: 'desc' }, { isFinal: 'desc' }] });
      if (!row) return undefined;
      return { ...row, bytes: await blobs.get(row.s3Key) };
    },
  };
}
