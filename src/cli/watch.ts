// `simsiam watch JOB`: follows a job until it is finished. On a terminal a progress bar shows epoch,
// step, loss, collapse std against 1/sqrt(d) and ETA; elsewhere status changes and finished epochs
// are logged as lines. Exit code: 0 succeeded, 1 failed, 7 cancelled. Ctrl-C stops watching only:
// the job goes on (exit 130).
import { Command } from 'commander';
import type { Connection } from './api.ts';
import { withContext, type Context } from './context.ts';
import { EXIT } from './exitCodes.ts';
import { jobFeed, type JobUpdate } from './jobFeed.ts';
import { exitCodeForJob, isFinished, jobSummary } from './jobProgress.ts';
import { getJob } from './jobs.ts';
import { emit, fixed, formatDuration, note, progressBar, type Bar } from './output.ts';

const BAR_FORMAT = 'epoch {epoch}/{epochs} |{bar}| step {value}/{total} | loss {loss} | std {std} (1/√d {healthy}) | ETA {remaining}';

/** What a person sees while the job runs: the bar on a terminal, else one line per change. */
class JobDisplay {
  private bar: Bar | undefined;
  private barStarted = false;
  private lastStatus = '';
  private lastEpoch = -1;

  constructor(private readonly ctx: Context) {
    this.bar = progressBar(ctx.out, BAR_FORMAT);
  }

  show(update: JobUpdate) {
    const p = update.progress;
    if (update.status !== this.lastStatus && !isFinished(update.status)) {
      if (!this.barStarted) note(this.ctx.out, `${update.id} ${update.status}${update.status === 'queued' ? ', waiting for a worker' : ''}`);
      this.lastStatus = update.status;
    }
    if (!p || p.step === undefined || p.totalSteps === undefined) return;
    const payload = {
      epoch: fixed(p.epoch, 1),
      epochs: p.epochs ?? '?',
      loss: fixed(p.loss),
      std: fixed(p.zStd),
      healthy: fixed(p.healthyStd),
      remaining: formatDuration(p.etaSeconds),
    };
    if (this.bar) {
      if (!this.barStarted) this.bar.start(p.totalSteps, p.step, payload);
      else this.bar.update(p.step, payload);
      this.barStarted = true;
      return;
    }
    const epoch = Math.floor(p.epoch ?? 0);
    if (epoch > this.lastEpoch && epoch > 0) note(this.ctx.out, `${update.id} epoch ${epoch}/${payload.epochs} loss ${payload.loss} std ${payload.std} (1/√d ${payload.healthy})`);
    this.lastEpoch = epoch;
  }

  stop() {
    this.bar?.stop();
  }
}

/** Follows the feed until the job is finished (true) or Ctrl-C (false). */
async function follow(ctx: Context, conn: Connection, jobId: string): Promise<boolean> {
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  const display = new JobDisplay(ctx);
  try {
    for await (const update of jobFeed(conn, jobId, interrupt.signal)) {
      display.show(update);
      if (isFinished(update.status)) break;
    }
  } finally {
    display.stop();
    process.off('SIGINT', onSigint);
  }
  return !interrupt.signal.aborted;
}

export async function watchJob(ctx: Context, jobId: string): Promise<void> {
  const conn = await ctx.connection();
  // REST first: an unknown job or a bad key gets its own exit code before any socket opens
  let job = await getJob(conn, jobId);
  while (!isFinished(job.status)) {
    if (!(await follow(ctx, conn, jobId))) {
      note(ctx.out, `stopped watching; ${jobId} goes on (simsiam watch ${jobId} to follow it again, simsiam cancel ${jobId} to stop it)`);
      process.exitCode = EXIT.interrupted;
      return;
    }
    // the REST view, so that --json prints what `jobs show --json` does; a feed that ended early
    // (the service restarting) is followed again
    job = await getJob(conn, jobId);
    if (!isFinished(job.status)) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  emit(ctx.out, job, jobSummary(job));
  process.exitCode = exitCodeForJob(job.status);
}

export function watchCommand(): Command {
  return new Command('watch')
    .description('follow a job live until it is finished (Ctrl-C stops watching, not the job)')
    .argument('<job>')
    .action(withContext(async (ctx, jobId: string) => watchJob(ctx, jobId)));
}
