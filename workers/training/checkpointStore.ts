// Checkpoints live in S3 (bytes) and PostgreSQL (epoch, step, key, size, metrics). The row is
// written after the object, so a row always points at a complete checkpoint. Keeps the newest
// `keep` periodic ones plus the final.
import type { Services } from '../../src/services.ts';
import type { Prisma } from '../../src/db/client.ts';
import { newId } from '../../src/domain/ids.ts';
import { keys } from '../../src/storage/keys.ts';
import { trainingMetrics } from '../../src/metrics/training.ts';
import { exportKeys } from '../../src/export/backboneExport.ts';

export interface SavedCheckpoint {
  id: string;
  epoch: number;
  step: number;
  s3Key: string;
}

export function checkpointStore({ db, blobs }: Services, jobId: string) {
  return {
    async save(args: { epoch: number; step: number; bytes: Uint8Array; metrics: Prisma.InputJsonValue; final: boolean; keep: number }) {
      const written = trainingMetrics.checkpointTimer();
      const s3Key = keys.checkpoint(jobId, args.epoch, args.step, args.final);
      await blobs.put(s3Key, args.bytes, 'application/octet-stream');
      const row = await db.checkpoint.create({
        data: {
          id: newId('ckpt'),
          jobId,
          epoch: args.epoch,
          step: args.step,
          s3Key,
          sizeBytes: BigInt(args.bytes.byteLength),
          metrics: args.metrics,
          isFinal: args.final,
        },
      });
      written();
      const stale = await db.checkpoint.findMany({
        where: { jobId, isFinal: false },
        orderBy: { step: 'desc' },
        skip: args.keep,
      });
      if (stale.length) {
        await db.checkpoint.deleteMany({ where: { id: { in: stale.map((c) => c.id) } } });
        await blobs.deleteKeys(stale.flatMap((c) => [c.s3Key, ...exportKeys(jobId, c.id)]));
      }
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
