// The stream behind Subscription.jobUpdated: the job now, then again on every change of it, ending
// after a finished job (src/graphql/liveStream.ts).
import type { Job } from '../generated/prisma/client.ts';
import type { Services } from '../services.ts';
import { getJob, isFinished, jobView } from '../domain/jobs.ts';
import { liveStream } from './liveStream.ts';

export async function jobUpdates(
  deps: Pick<Services, 'db' | 'events'>,
  tenantId: string,
  jobId: string,
  onEnd: () => void = () => {},
): Promise<AsyncIterableIterator<Job>> {
  // unknown or foreign: JOB_NOT_FOUND before anything is subscribed
  await getJob(deps.db, tenantId, jobId);
  return liveStream(
    deps,
    { ids: [jobId], load: () => getJob(deps.db, tenantId, jobId), fingerprint: (job) => JSON.stringify(jobView(job)), isFinal: (job) => isFinished(job.status) },
    onEnd,
  );
}
