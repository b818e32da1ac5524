// A training attempt that throws (S3 or the database unavailable) is a failed attempt: the worker
// counts it in the queue message and re-enqueues the job after an exponential backoff. A worker that
// dies is not: pg-boss hands its lapsed claim to the next worker at once (src/queue/boss.ts), so
// preemptions neither wait nor use up this limit.
export const FAILED_ATTEMPT_LIMIT = 50;
const MAX_DELAY_SECONDS = 60;

/** The wait before retrying after the `failures`-th failed attempt: 2, 4, 8 … 60 s. */
export const failedAttemptDelaySeconds = (failures: number) => Math.min(MAX_DELAY_SECONDS, 2 ** failures);
