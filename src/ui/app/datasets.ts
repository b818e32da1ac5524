// Datasets: the list, a new-dataset form, and one dataset's drop zone, label histogram and
// thumbnail grid.
import { useEffect, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { api, ok } from './api.ts';
import { ErrorBox, ProgressBar, Show, Thumb, useAsync } from './components.ts';
import { Chart, barChart } from './charts.ts';
import { droppedFiles, pickedFiles, upload, type IngestTotals, type PickedFile } from './upload.ts';
import { go } from './route.ts';

const GRID_PAGE = 48;

export function DatasetsPage({ id }: { id?: string }) {
  const list = useAsync(() => ok(api.GET('/v1/datasets', { params: { query: { limit: 100 } } })), []);
  const [name, setName] = useState('');
  const [createError, setCreateError] = useState<unknown>();
  const create = async (event: Event) => {
    event.preventDefault();
    setCreateError(undefined);
    try {
      const dataset = await ok(api.POST('/v1/datasets', { body: { name } }));
      setName('');
      list.reload();
      go(`#/datasets/${dataset.id}`);
    } catch (err) {
      setCreateError(err);
    }
  };
  useEffect(() => {
    const first = list.data?.items[0];
    if (!id && first) go(`#/datasets/${first.id}`);
  }, [id, list.data]);
  return html`<div class="split">
    <aside class="card">
      <h2>Datasets</h2>
      <${Show} state=${list} what="datasets" render=${(page: { items: Array<{ id: string; name: string }> }) =>
        page.items.length
          ? html`<ul class="picklist">${page.items.map(
              (d) => html`<li><a href=${`#/datasets/${d.id}`} class=${d.id === id ? 'active' : ''}>${d.name}</a></li>`,
            )}</ul>`
          : html`<p class="muted">No datasets yet.</p>`}
      />
      <form class="row" onSubmit=${create}>
        <input name="datasetName" required maxLength="200" placeholder="New dataset name" value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
        <button type="submit">Create</button>
      </form>
      ${createError && html`<${ErrorBox} error=${createError} />`}
    </aside>
    <section class="content">${id ? html`<${DatasetDetail} key=${id} id=${id} onChanged=${list.reload} />` : html`<p class="muted">Create a dataset to upload images into.</p>`}</section>
  </div>`;
}

function DatasetDetail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const detail = useAsync(() => ok(api.GET('/v1/datasets/{id}', { params: { path: { id } } })), [id]);
  const [version, setVersion] = useState(0);
  const uploaded = () => {
    detail.reload();
    setVersion((v) => v + 1);
    onChanged();
  };
  return html`<${Show} state=${detail} what="the dataset" render=${(d: { name: string; imageCount: number; labels: Record<string, number>; unlabeledCount: number }) => html`
    <div class="card">
      <div class="title-row">
        <h2>${d.name}</h2>
        <span class="muted" data-testid="image-count">${d.imageCount} images</span>
        <a class="button" href=${`#/jobs/new?dataset=${id}`}>Train on it</a>
      </div>
      <${DropZone} datasetId=${id} onUploaded=${uploaded} />
    </div>
    <div class="card"><${Histogram} labels=${d.labels} unlabeled=${d.unlabeledCount} /></div>
    <div class="card"><h3>Images</h3><${ImageGrid} key=${version} datasetId=${id} /></div>
  `} />`;
}

function Histogram({ labels, unlabeled }: { labels: Record<string, number>; unlabeled: number }) {
  const entries = Object.entries(labels).sort((a, b) => b[1] - a[1]);
  if (unlabeled) entries.push(['(unlabeled)', unlabeled]);
  if (!entries.length) return html`<p class="muted">No images yet: the label histogram appears after an upload.</p>`;
  const chart = barChart('Images per label', entries.map(([l]) => l), [{ label: 'images', values: entries.map(([, n]) => n) }], 150);
  return html`<${Chart} name="label-histogram" ...${chart} />`;
}

function DropZone({ datasetId, onUploaded }: { datasetId: string; onUploaded: () => void }) {
  const [over, setOver] = useState(false);
  const [progress, setProgress] = useState<number>();
  const [result, setResult] = useState<IngestTotals>();
  const [error, setError] = useState<unknown>();
  const start = async (files: PickedFile[]) => {
    if (!files.length) return;
    setError(undefined);
    setResult(undefined);
    setProgress(0);
    try {
      setResult(await upload(datasetId, files, setProgress));
      onUploaded();
    } catch (err) {
      setError(err);
    } finally {
      setProgress(undefined);
    }
  };
  const drop = async (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    if (event.dataTransfer) await start(await droppedFiles(event.dataTransfer));
  };
  const picked = (event: Event) => {
    const input = event.target as HTMLInputElement;
    if (input.files) void start(pickedFiles(input.files));
    input.value = '';
  };
  return html`<div
      class=${`dropzone ${over ? 'over' : ''}`}
      data-testid="dropzone"
      onDragOver=${(e: DragEvent) => { e.preventDefault(); setOver(true); }}
      onDragLeave=${() => setOver(false)}
      onDrop=${drop}
    >
      <p>Drop a folder (<code>label/image.png</code>), images, or a <code>.tar</code>/<code>.tar.gz</code> here</p>
      <p>
        <label class="button">Choose a folder<input type="file" name="folder" webkitdirectory multiple hidden onChange=${picked} /></label>
        <label class="button">Choose files or archives<input type="file" name="files" multiple accept=".tar,.tgz,.gz,image/png,image/jpeg,image/webp" hidden onChange=${picked} /></label>
      </p>
      ${progress !== undefined && html`<${ProgressBar} value=${progress} label=${`Uploading… ${Math.round(progress * 100)}%`} />`}
      ${result && html`<p class="ok" data-testid="upload-result">Added ${result.added}, duplicates ${result.duplicates}, skipped ${result.skippedCount}</p>`}
      ${error && html`<${ErrorBox} error=${error} />`}
    </div>`;
}

interface ImageRow {
  id: string;
  label?: string | null;
}

function ImageGrid({ datasetId }: { datasetId: string }) {
  const [cursor, setCursor] = useState<string | undefined>();
  const [images, setImages] = useState<ImageRow[]>([]);
  const page = useAsync(
    () => ok(api.GET('/v1/datasets/{id}/images', { params: { path: { id: datasetId }, query: { limit: GRID_PAGE, cursor } } })),
    [datasetId, cursor],
  );
  useEffect(() => {
    if (page.data) setImages((prev) => (cursor ? [...prev, ...(page.data!.items as ImageRow[])] : (page.data!.items as ImageRow[])));
  }, [page.data]);
  if (page.error) return html`<${ErrorBox} error=${page.error} retry=${page.reload} />`;
  return html`
    ${!images.length && !page.loading && html`<p class="muted">No images yet.</p>`}
    <div class="grid" data-testid="thumbnails">${images.map((img) => html`<${Thumb} key=${img.id} datasetId=${datasetId} imageId=${img.id} label=${img.label ?? null} />`)}</div>
    ${page.loading && html`<p class="loading">Loading images…</p>`}
    ${page.data?.nextCursor && !page.loading && html`<button type="button" onClick=${() => setCursor(page.data!.nextCursor!)}>More images</button>`}
  `;
}
