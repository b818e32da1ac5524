// How a job reads in the terminal: the progress fields a training worker reports, one-line
// summaries, and the exit code its final status maps to.
import { EXIT, type ExitCode } from './exitCodes.ts';
import { fixed, formatDuration } from './output.ts';

/** The fields of job.progress the CLI shows (workers/training/runTraining.ts writes them). */
export interface JobProgress {
  epoch?: number;
  epochs?: number;
  step?: number;
  totalSteps?: number;
  loss?: number | null;
  /** std of the normalised projector output; 1/sqrt(d) (healthyStd) when not collapsed */
  zStd?: number | null;
  healthyStd?: number | null;
  etaSeconds?: number | null;
  knnTop1?: number | null;
}

export interface JobLike {
  id: string;
  status: string;
  progress?: unknown;
  error?: { code: string; message: string } | null;
  startedAt?: string | null;
  finishedAt?: string | null;
}

export const FINISHED_STATUSES = ['succeeded', 'failed', 'cancelled'];
export const isFinished = (status: string) => FINISHED_STATUSES.includes(status);

export const progressOf = (job: JobLike) => (job.progress ?? null) as JobProgress | null;

/** "epoch 1.0/20, step 16/320, loss -0.412" (or '' before any report). */
export function progressText(p: JobProgress | null): string {
  if (!p || p.step === undefined) return '';
  const parts = [`epoch ${fixed(p.epoch, 1)}/${p.epochs ?? '?'}`, `step ${p.step}/${p.totalSteps ?? '?'}`, `loss ${fixed(p.loss)}`];
  if (typeof p.knnTop1 === 'number') parts.push(`kNN ${fixed(p.knnTop1)}`);
  return parts.join(', ');
}

function took(job: JobLike): string {
  if (!job.startedAt || !job.finishedAt) return '';
  return ` in ${formatDuration((Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000)}`;
}

/** "job_x succeeded in 12s: epoch 1.0/1, ..." / "job_x failed: CODE: message". */
export function jobSummary(job: JobLike): string {
  if (job.status === 'failed' && job.error) return `${job.id} failed${took(job)}: ${job.error.code}: ${job.error.message}`;
  const progress = progressText(progressOf(job));
  return `${job.id} ${job.status}${isFinished(job.status) ? took(job) : ''}${progress ? `: ${progress}` : ''}`;
}

export function exitCodeForJob(status: string): ExitCode {
  if (status === 'failed') return EXIT.failed;
  if (status === 'cancelled') return EXIT.cancelled;
  return EXIT.ok;
}
