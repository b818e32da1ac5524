// One job live: status, progress, the six curves (loss, lr, collapse std against 1/√d, kNN,
// images/s, data wait), the events read from them, checkpoints and cancel. Everything after the
// first history read arrives over the GraphQL subscription (feed.ts).
import { useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { api, ok, signedObjectUrl } from './api.ts';
import { ErrorBox, Loading } from './components.ts';
import { Chart, lineChart, type LineSeries } from './charts.ts';
import { useJobFeeds, type Checkpoint, type LiveJob } from './feed.ts';
import { fmt, jobEvents, num, type MetricPoint } from './series.ts';

export function JobPage({ id }: { id: string }) {
  const feed = useJobFeeds([id])[id];
  if (!feed) return html`<${Loading} what="the job" />`;
  if (feed.error && !feed.job) return html`<${ErrorBox} error=${feed.error} />`;
  if (!feed.job) return html`<${Loading} what="the job" />`;
  return html`<${JobView} job=${feed.job} points=${feed.points} live=${feed.live} pushes=${feed.pushes} error=${feed.error} />`;
}

/** x in epochs (fractional) when steps per epoch are known, else steps. */
export function epochAxis(job: Pick<LiveJob, 'progress'>, points: MetricPoint[]) {
  const perEpoch = num(job.progress?.stepsPerEpoch as number) ?? 0;
  return { label: perEpoch ? 'epoch' : 'step', x: points.map((p) => (perEpoch ? p.step / perEpoch : p.step)) };
}

function curves(job: LiveJob, points: MetricPoint[]) {
  const { label, x } = epochAxis(job, points);
  const series = (key: string) => points.map((p) => num(p.values[key]));
  const progress = job.progress ?? {};
  const healthy = num(progress.healthyStd as number);
  const threshold = num((job.config.collapseThreshold as number) ?? null);
  const collapse: LineSeries[] = [
    { label: 'z std', values: series('zStd') },
    { label: 'p std', values: series('pStd') },
    { label: '1/√d', values: points.map(() => healthy), dash: [6, 4] },
  ];
  if (healthy !== null && threshold !== null) collapse.push({ label: 'collapse threshold', values: points.map(() => healthy * threshold), dash: [2, 3] });
  return [
    lineChart('loss', label, x, [{ label: 'loss', values: series('loss') }, { label: 'epoch mean', values: series('epochLoss'), points: true }]),
    lineChart('learning rate', label, x, [{ label: 'lr', values: series('lr') }]),
    lineChart('collapse: std of l2-normalised outputs', label, x, collapse),
    lineChart('kNN top-1', label, x, [{ label: 'kNN top-1', values: series('knnTop1'), points: true }], [0, 1]),
    lineChart('images/s', label, x, [{ label: 'images/s', values: series('imagesPerSecond') }]),
    lineChart('data wait (share of step time)', label, x, [{ label: 'data wait', values: series('dataWaitFraction') }]),
  ];
}

function JobView({ job, points, live, pushes, error }: { job: LiveJob; points: MetricPoint[]; live: boolean; pushes: number; error?: unknown }) {
  const p = (job.progress ?? {}) as Record<string, number | null>;
  const [cancelError, setCancelError] = useState<unknown>();
  const cancel = async () => {
    setCancelError(undefined);
    try {
      await ok(api.POST('/v1/jobs/{id}/cancel', { params: { path: { id: job.id } } }));
    } catch (err) {
      setCancelError(err);
    }
  };
  const active = job.status === 'queued' || job.status === 'running';
  const events = jobEvents(points);
  return html`<div class="job" data-testid="job-live" data-pushes=${pushes}>
    <div class="card title-row">
      <h2>${job.id}</h2>
      <span class=${`badge ${job.status}`} data-testid="job-status">${job.status}</span>
      <span class=${live ? 'live on' : 'live'}>${live ? '● live' : active ? 'connecting…' : 'finished'}</span>
      <span>${String(job.config.method ?? 'simsiam')} · ${String(job.config.backbone)} · ${job.backend ?? 'no backend yet'}</span>
      <span>epoch ${fmt(p.epoch, 3)} / ${String(job.config.epochs)} · step ${p.step ?? 0} / ${p.totalSteps ?? '?'}</span>
      <span>loss ${fmt(p.loss)} · ${fmt(p.imagesPerSecond)} img/s · ETA ${p.etaSeconds != null ? `${Math.round(p.etaSeconds)} s` : '—'}</span>
      ${active && html`<button type="button" class="danger" disabled=${!!job.cancelRequestedAt} onClick=${cancel}>${job.cancelRequestedAt ? 'Cancelling…' : 'Cancel'}</button>`}
      <a href=${`#/embeddings?job=${job.id}`}>Embedding map</a>
      <a href=${`#/evaluations?job=${job.id}`}>Evaluate</a>
    </div>
    ${job.error && html`<${ErrorBox} error=${{ message: `${job.error.code}: ${job.error.message}` }} />`}
    ${cancelError && html`<${ErrorBox} error=${cancelError} />`}
    ${error && html`<${ErrorBox} error=${error} />`}
    ${points.length
      ? html`<div class="charts">${curves(job, points).map((c) => html`<div class="card"><${Chart} name=${c.options.title} ...${c} /></div>`)}</div>`
      : html`<p class="muted card">${active ? 'Waiting for the first metric points…' : 'This job has no metric points.'}</p>`}
    <div class="split-even">
      <div class="card"><h3>Events</h3>
        ${events.length
          ? html`<ul class="events" data-testid="events">${events.map((e) => html`<li class=${e.kind}>epoch ${e.epoch}: ${e.message}</li>`)}</ul>`
          : html`<p class="muted">No collapse, kNN dip or loss rise so far.</p>`}
      </div>
      <div class="card"><h3>Checkpoints</h3><${Checkpoints} jobId=${job.id} items=${job.checkpoints} /></div>
    </div>
  </div>`;
}

function Checkpoints({ jobId, items }: { jobId: string; items: Checkpoint[] }) {
  const [error, setError] = useState<unknown>();
  if (!items.length) return html`<p class="muted">None yet.</p>`;
  const download = async (c: Checkpoint) => {
    try {
      const url = await signedObjectUrl(`/v1/jobs/${jobId}/checkpoints/${c.id}/download`);
      const a = Object.assign(document.createElement('a'), { href: url, download: `${jobId}-${c.isFinal ? 'final' : `epoch-${c.epoch}`}.ckpt` });
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError(err);
    }
  };
  return html`<table class="table" data-testid="checkpoints">
      <thead><tr><th>epoch</th><th>step</th><th>size</th><th></th><th></th></tr></thead>
      <tbody>${items.map(
        (c) => html`<tr><td>${c.epoch}</td><td>${c.step}</td><td>${(c.sizeBytes / 1e6).toFixed(2)} MB</td><td>${c.isFinal ? 'final' : ''}</td>
          <td><button type="button" class="link" onClick=${() => download(c)}>download</button></td></tr>`,
      )}</tbody>
    </table>
    ${error && html`<${ErrorBox} error=${error} />`}`;
}
