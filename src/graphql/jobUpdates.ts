// The stream behind Subscription.jobUpdated: the job as it is now, then the job again after every
// change notification (LISTEN/NOTIFY, so writes from workers on other machines arrive too). Bursts of
// notifications collapse into one reload, unchanged reloads are not pushed, and the stream ends after
// pushing a finished job.
import type { Job } from '../generated/prisma/client.ts';
import type { Services } from '../services.ts';
import { getJob, isFinished, jobView } from '../domain/jobs.ts';

export async function jobUpdates(
  deps: Pick<Services, 'db' | 'events'>,
  tenantId: string,
  jobId: string,
  onEnd: () => void = () => {},
): Promise<AsyncIterableIterator<Job>> {
  // unknown or foreign: JOB_NOT_FOUND before anything is subscribed
  await getJob(deps.db, tenantId, jobId);
  let changed = true;
  let done = false;
  let lastPushed: string | undefined;
  let wake: (() => void) | undefined;
  const unsubscribe = await deps.events.subscribe(jobId, () => {
    changed = true;
    wake?.();
  });
  const finish = () => {
    if (done) return;
    done = true;
    unsubscribe();
    onEnd();
    wake?.();
  };
  const end = { done: true as const, value: undefined };

  const iterator: AsyncIterableIterator<Job> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      for (;;) {
        while (!changed && !done) await new Promise<void>((resolve) => (wake = resolve));
        if (done) return end;
        changed = false;
        const job = await getJob(deps.db, tenantId, jobId).catch((err) => {
          // a throwing next() ends the consumer's loop without return(): release the listener here
          finish();
          throw err;
        });
        const fingerprint = JSON.stringify(jobView(job));
        if (fingerprint === lastPushed) continue;
        lastPushed = fingerprint;
        if (isFinished(job.status)) finish();
        return { done: false, value: job };
      }
    },
    async return() {
      finish();
      return end;
    },
  };
  return iterator;
}
