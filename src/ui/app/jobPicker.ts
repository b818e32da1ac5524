// A job selector for the pages that work on one job's checkpoints (embeddings, evaluations).
import { html } from 'htm/preact';
import { api, ok } from './api.ts';
import { useAsync } from './components.ts';
import { go } from './route.ts';

export function JobPicker({ jobId, page }: { jobId?: string; page: string }) {
  const jobs = useAsync(() => ok(api.GET('/v1/jobs', { params: { query: { limit: 100 } } })), []);
  if (jobs.error) return html`<span class="error">jobs did not load</span>`;
  const items = (jobs.data?.items ?? []).filter((j) => j.status === 'succeeded' || j.status === 'running' || j.id === jobId);
  return html`<label>Job
    <select name="job" value=${jobId ?? ''} onChange=${(e: Event) => go(`#/${page}?job=${(e.target as HTMLSelectElement).value}`)}>
      <option value="" disabled>${jobs.loading ? 'loading…' : 'choose a job'}</option>
      ${items.map((j) => html`<option value=${j.id}>${j.id} (${j.config.backbone}, ${j.status})</option>`)}
    </select>
  </label>`;
}

/** A page about one job's checkpoints: its title, the job picker, then `render(jobId)`. */
export function PerJobPage({ title, page, jobId, render }: { title: string; page: string; jobId?: string; render: (jobId: string) => unknown }) {
  return html`<div>
    <div class="card title-row"><h2>${title}</h2><${JobPicker} jobId=${jobId} page=${page} /></div>
    ${jobId ? render(jobId) : html`<p class="muted card">Pick a job with a checkpoint.</p>`}
  </div>`;
}
