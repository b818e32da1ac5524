// Jobs: the tenant's jobs with their latest progress; tick several to compare them on one chart.
import { useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { api, ok } from './api.ts';
import { Show, useAsync } from './components.ts';
import { fmt } from './series.ts';
import { go } from './route.ts';

interface JobRow {
  id: string;
  status: string;
  datasetId: string;
  config: { backbone?: string; epochs?: number; method?: string };
  progress: { epoch?: number; loss?: number; knnTop1?: number | null } | null;
  createdAt: string;
}

export function JobsPage() {
  const jobs = useAsync(() => ok(api.GET('/v1/jobs', { params: { query: { limit: 50 } } })), []);
  const [picked, setPicked] = useState<string[]>([]);
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));
  return html`<div class="card">
    <div class="title-row">
      <h2>Jobs</h2>
      <a class="button" href="#/jobs/new">New job</a>
      <button type="button" disabled=${picked.length < 2} onClick=${() => go(`#/compare?ids=${picked.join(',')}`)}>Compare ${picked.length || ''} selected</button>
    </div>
    <${Show} state=${jobs} what="jobs" render=${(page: { items: JobRow[] }) =>
      page.items.length
        ? html`<table class="table" data-testid="jobs">
            <thead><tr><th></th><th>job</th><th>status</th><th>method / backbone</th><th>epoch</th><th>loss</th><th>kNN top-1</th><th>created</th></tr></thead>
            <tbody>${page.items.map(
              (j) => html`<tr>
                <td><input type="checkbox" aria-label=${`compare ${j.id}`} checked=${picked.includes(j.id)} onChange=${() => toggle(j.id)} /></td>
                <td><a href=${`#/jobs/${j.id}`}>${j.id}</a></td>
                <td><span class=${`badge ${j.status}`}>${j.status}</span></td>
                <td>${j.config.method ?? 'simsiam'} / ${j.config.backbone}</td>
                <td>${fmt(j.progress?.epoch ?? null, 2)} / ${j.config.epochs}</td>
                <td>${fmt(j.progress?.loss ?? null)}</td>
                <td>${fmt(j.progress?.knnTop1 ?? null)}</td>
                <td>${new Date(j.createdAt).toLocaleString()}</td>
              </tr>`,
            )}</tbody>
          </table>`
        : html`<p class="muted">No jobs yet. Upload a dataset, then start one.</p>`}
    />
  </div>`;
}
