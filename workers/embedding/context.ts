// What an embedding or evaluation task runs with, and where its model comes from.
import type { Logger } from 'pino';
import type { Services } from '../../src/services.ts';
import type { BackendName } from '../../src/engine/index.ts';
import type { DecodedImageCache } from '../../src/data/cache.ts';
import { jobTrainingConfig } from '../../src/domain/trainingConfig.ts';
import { JobFailure } from '../training/jobRecord.ts';

export interface TaskContext {
  services: Services;
  log: Logger;
  cache?: DecodedImageCache;
  backend?: BackendName;
}

/** The job config and checkpoint a task was created for; a vanished checkpoint is final. */
export async function taskModelSource({ db }: Services, jobId: string, checkpointId: string) {
  const job = await db.job.findUnique({ where: { id: jobId } });
  const checkpoint = await db.checkpoint.findUnique({ where: { id: checkpointId } });
  if (!job || !checkpoint) throw new JobFailure('CHECKPOINT_GONE', `checkpoint ${checkpointId} of job ${jobId} no longer exists`);
  try {
    return { config: jobTrainingConfig(job.config), checkpointKey: checkpoint.s3Key };
  } catch (err) {
    throw new JobFailure('INVALID_JOB_CONFIG', (err as Error).message);
  }
}
