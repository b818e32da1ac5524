// Evaluations: start a linear probe of a job's checkpoint, and read it with its baselines
// (random-init backbone, raw pixels) as a table and a bar chart.
import { useEffect, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { api, gql, ok } from './api.ts';
import { ErrorBox, Show, useAsync } from './components.ts';
import { Chart, barChart } from './charts.ts';
import { fmt } from './series.ts';
import { PerJobPage } from './jobPicker.ts';

/** Evaluations still running are checked this often: a one-off task, not the live training view. */
const EVALUATION_CHECK_MS = 2000;

interface Scores {
  top1: number | null;
  top5: number | null;
  knnTop1: number | null;
}

interface Evaluation extends Scores {
  id: string;
  status: string;
  trainDatasetId: string;
  testDatasetId: string | null;
  splitFraction: number | null;
  baselines: { randomInit: Scores | null; rawPixels: Scores | null } | null;
  details: { testCount?: number; trainCount?: number; numClasses?: number } | null;
  error: { code: string; message: string } | null;
  createdAt: string;
}

const SCORES = 'top1 top5 knnTop1';
const QUERY = `query($id: ID!) { job(id: $id) { evaluations {
  id status trainDatasetId testDatasetId splitFraction ${SCORES} details createdAt error { code message }
  baselines { randomInit { ${SCORES} } rawPixels { ${SCORES} } }
} } }`;

export function EvaluationsPage({ jobId }: { jobId?: string }) {
  return html`<${PerJobPage} title="Evaluations" page="evaluations" jobId=${jobId} render=${(id: string) => html`<${JobEvaluations} key=${id} jobId=${id} />`} />`;
}

function JobEvaluations({ jobId }: { jobId: string }) {
  const list = useAsync(async () => (await gql<{ job: { evaluations: Evaluation[] } | null }>(QUERY, { id: jobId })).job?.evaluations ?? [], [jobId]);
  const pending = list.data?.some((e) => e.status === 'queued' || e.status === 'running');
  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(list.reload, EVALUATION_CHECK_MS);
    return () => clearTimeout(timer);
  }, [list.data]);
  return html`
    <${ProbeForm} jobId=${jobId} onStarted=${list.reload} />
    <${Show} state=${list} what="evaluations" render=${(items: Evaluation[]) =>
      items.length ? items.map((e) => html`<${EvaluationCard} key=${e.id} evaluation=${e} />`) : html`<p class="muted card">No evaluations of this job yet.</p>`}
    />`;
}

function ProbeForm({ jobId, onStarted }: { jobId: string; onStarted: () => void }) {
  const datasets = useAsync(() => ok(api.GET('/v1/datasets', { params: { query: { limit: 100 } } })), []);
  const [datasetId, setDatasetId] = useState('');
  const [testDatasetId, setTestDatasetId] = useState('');
  const [baselines, setBaselines] = useState(true);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const items = datasets.data?.items ?? [];
  const train = datasetId || items[0]?.id || '';
  const start = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body = testDatasetId ? { trainDatasetId: train, testDatasetId } : { datasetId: train };
      await ok(api.POST('/v1/jobs/{id}/linear-probe', { params: { path: { id: jobId } }, body: { ...body, ...(baselines && { baselines: ['random-init', 'raw-pixels'] }) } }));
      onStarted();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const select = (name: string, value: string, set: (v: string) => void, empty?: string) => html`<select name=${name} value=${value} onChange=${(e: Event) => set((e.target as HTMLSelectElement).value)}>
    ${empty && html`<option value="">${empty}</option>`}
    ${items.map((d) => html`<option value=${d.id}>${d.name}</option>`)}
  </select>`;
  return html`<form class="card row" onSubmit=${start}>
    <label>Train on ${select('trainDataset', train, setDatasetId)}</label>
    <label>Test on ${select('testDataset', testDatasetId, setTestDatasetId, 'a held-out 20% of it')}</label>
    <label class="inline"><input type="checkbox" checked=${baselines} onChange=${(e: Event) => setBaselines((e.target as HTMLInputElement).checked)} /> with baselines</label>
    <button type="submit" disabled=${busy || !train}>${busy ? 'Starting…' : 'Run linear probe'}</button>
    ${error && html`<${ErrorBox} error=${error} />`}
  </form>`;
}

function EvaluationCard({ evaluation: e }: { evaluation: Evaluation }) {
  const rows: Array<[string, Scores | null]> = [
    ['SimSiam features', e.status === 'succeeded' ? e : null],
    ['random-init backbone', e.baselines?.randomInit ?? null],
    ['raw pixels', e.baselines?.rawPixels ?? null],
  ];
  const present = rows.filter(([, s]) => s) as Array<[string, Scores]>;
  const chart = () =>
    barChart('accuracy', ['linear top-1', 'linear top-5', 'kNN top-1'], present.map(([name, s]) => ({ label: name, values: [s.top1, s.top5, s.knnTop1] })));
  return html`<div class="card evaluation" data-testid="evaluation" data-status=${e.status}>
    <div class="title-row">
      <h3>${e.id}</h3><span class=${`badge ${e.status}`}>${e.status}</span>
      <span class="muted">${e.testDatasetId ? 'train/test datasets' : `split ${fmt(e.splitFraction)}`} · ${e.details?.trainCount ?? '?'} train / ${e.details?.testCount ?? '?'} test · ${e.details?.numClasses ?? '?'} classes</span>
    </div>
    ${e.error && html`<${ErrorBox} error=${{ message: `${e.error.code}: ${e.error.message}` }} />`}
    ${e.status === 'succeeded'
      ? html`<div class="split-even">
          <table class="table">
            <thead><tr><th>features</th><th>linear top-1</th><th>linear top-5</th><th>kNN top-1</th></tr></thead>
            <tbody>${present.map(([name, s]) => html`<tr><td>${name}</td><td>${fmt(s.top1)}</td><td>${fmt(s.top5)}</td><td>${fmt(s.knnTop1)}</td></tr>`)}</tbody>
          </table>
          <${Chart} name="evaluation-bars" ...${chart()} />
        </div>`
      : e.status !== 'failed' && html`<p class="loading">Probing… (${e.status})</p>`}
  </div>`;
}
