// Several jobs on one chart: one metric, x in epochs, each job a series, live ones still pushing.
import { useState } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from 'htm/preact';
import { Loading } from './components.ts';
import { Chart, colour } from './charts.ts';
import { useJobFeeds } from './feed.ts';
import { num } from './series.ts';
import { epochAxis } from './jobLive.ts';

const METRICS = [
  ['loss', 'loss'],
  ['epochLoss', 'epoch mean loss'],
  ['knnTop1', 'kNN top-1'],
  ['zStd', 'z std'],
  ['lr', 'learning rate'],
  ['imagesPerSecond', 'images/s'],
] as const;

export function ComparePage({ ids }: { ids: string[] }) {
  const feeds = useJobFeeds(ids);
  const [metric, setMetric] = useState<string>('loss');
  const ready = ids.filter((id) => feeds[id]?.job);
  if (!ids.length) return html`<p class="muted card">Pick jobs to compare on the Jobs page.</p>`;
  if (!ready.length) return html`<${Loading} what="the jobs" />`;
  const tables = ready.map((id) => {
    const { job, points } = feeds[id]!;
    const kept = points.filter((p) => num(p.values[metric]) !== null);
    return [epochAxis(job!, kept).x, kept.map((p) => num(p.values[metric]))] as uPlot.AlignedData;
  });
  const data = uPlot.join(tables);
  const label = METRICS.find(([k]) => k === metric)?.[1] ?? metric;
  const options = {
    title: `${label} by epoch`,
    height: 380,
    scales: { x: { time: false } },
    axes: [{ label: 'epoch' }, { size: 55 }],
    series: [
      { label: 'epoch' },
      ...ready.map((id, i) => {
        const job = feeds[id]!.job!;
        return { label: `${id} (${String(job.config.backbone)}, ${job.status})`, stroke: colour(i), width: 1.5, spanGaps: true, points: { show: metric === 'knnTop1' || metric === 'epochLoss' } };
      }),
    ],
  };
  return html`<div class="card">
    <div class="title-row">
      <h2>Compare ${ids.length} jobs</h2>
      <label>metric <select value=${metric} onChange=${(e: Event) => setMetric((e.target as HTMLSelectElement).value)}>
        ${METRICS.map(([k, l]) => html`<option value=${k}>${l}</option>`)}
      </select></label>
      <span class="muted">${ready.filter((id) => feeds[id]!.live).length} live</span>
    </div>
    <${Chart} name="compare" options=${options} data=${data} shape=${`${metric}|${ready.join(',')}`} />
  </div>`;
}
