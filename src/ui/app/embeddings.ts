// Embeddings: a job's frozen features of a dataset as a 2-D map coloured by label, a thumbnail
// on hover, and the nearest neighbours of a clicked image.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from 'htm/preact';
import { api, gql, ok } from './api.ts';
import { ErrorBox, Loading, ProgressBar, Show, Thumb, useAsync } from './components.ts';
import { Chart, colour } from './charts.ts';
import { UMAP_MAX_POINTS, pca2, umap2, type Points2D } from './projection.ts';
import { fmt } from './series.ts';
import { PerJobPage } from './jobPicker.ts';

/** Rows read into the map at most (the vectors are paged in over JSON). */
const MAP_MAX_POINTS = 5000;
/** A set being computed is checked this often: a one-off task, not the live training view. */
const SET_CHECK_MS = 1000;

interface EmbeddingSet {
  id: string;
  status: string;
  datasetId: string;
  count: number | null;
  dim: number | null;
  error: { code: string; message: string } | null;
}

interface Row {
  imageId: string;
  label: string | null;
  vector: number[];
}

export function EmbeddingsPage({ jobId }: { jobId?: string }) {
  return html`<${PerJobPage} title="Embeddings" page="embeddings" jobId=${jobId} render=${(id: string) => html`<${JobEmbeddings} key=${id} jobId=${id} />`} />`;
}

function JobEmbeddings({ jobId }: { jobId: string }) {
  const job = useAsync(() => ok(api.GET('/v1/jobs/{id}', { params: { path: { id: jobId } } })), [jobId]);
  const datasets = useAsync(() => ok(api.GET('/v1/datasets', { params: { query: { limit: 100 } } })), []);
  const [datasetId, setDatasetId] = useState<string>();
  const [set, setSet] = useState<EmbeddingSet>();
  const [error, setError] = useState<unknown>();
  const chosen = datasetId ?? job.data?.datasetId;
  useEffect(() => setSet(undefined), [chosen]);

  const compute = async () => {
    setError(undefined);
    try {
      let current = (await ok(api.POST('/v1/jobs/{id}/embeddings', { params: { path: { id: jobId } }, body: { datasetId: chosen! } }))) as EmbeddingSet;
      setSet(current);
      while (current.status === 'queued' || current.status === 'running') {
        await new Promise((resolve) => setTimeout(resolve, SET_CHECK_MS));
        current = (await ok(api.GET('/v1/embeddings/{id}', { params: { path: { id: current.id } } }))) as EmbeddingSet;
        setSet(current);
      }
    } catch (err) {
      setError(err);
    }
  };

  return html`<${Show} state=${job} what="the job" render=${() => html`
    <div class="card row">
      <label>Dataset
        <select name="embedDataset" value=${chosen} onChange=${(e: Event) => setDatasetId((e.target as HTMLSelectElement).value)}>
          ${(datasets.data?.items ?? []).map((d) => html`<option value=${d.id}>${d.name}</option>`)}
        </select>
      </label>
      <button type="button" onClick=${compute} disabled=${set?.status === 'queued' || set?.status === 'running'}>Show the map</button>
      <${SetsOfJob} key=${set?.status} jobId=${jobId} />
    </div>
    ${error && html`<${ErrorBox} error=${error} />`}
    ${set && (set.status === 'queued' || set.status === 'running') && html`<${Loading} what=${`embeddings (${set.status})`} />`}
    ${set?.status === 'failed' && html`<${ErrorBox} error=${{ message: `${set.error?.code}: ${set.error?.message}` }} />`}
    ${set?.status === 'succeeded' && html`<${EmbeddingMap} key=${set.id} set=${set} />`}
  `} />`;
}

function SetsOfJob({ jobId }: { jobId: string }) {
  const sets = useAsync(
    () => gql<{ job: { embeddingSets: EmbeddingSet[] } | null }>(`query($id: ID!) { job(id: $id) { embeddingSets { id status datasetId count dim } } }`, { id: jobId }),
    [jobId],
  );
  const n = sets.data?.job?.embeddingSets.length ?? 0;
  return html`<span class="muted">${sets.loading ? '' : `${n} embedding set${n === 1 ? '' : 's'} of this job`}</span>`;
}

async function readRows(setId: string, onRows: (n: number) => void): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor: string | undefined;
  while (rows.length < MAP_MAX_POINTS) {
    const page = await ok(api.GET('/v1/embeddings/{id}/vectors', { params: { path: { id: setId }, query: { format: 'json', limit: 1000, cursor } }, parseAs: 'json' }));
    const body = page as unknown as { items: Row[]; nextCursor: string | null };
    rows.push(...body.items);
    onRows(rows.length);
    if (!body.nextCursor) break;
    cursor = body.nextCursor;
  }
  return rows.slice(0, MAP_MAX_POINTS);
}

type Method = 'PCA' | 'UMAP';

function EmbeddingMap({ set }: { set: EmbeddingSet }) {
  const [read, setRead] = useState(0);
  const rows = useAsync(() => readRows(set.id, setRead), [set.id]);
  const [layouts, setLayouts] = useState<Partial<Record<Method, Points2D>>>({});
  const [method, setMethod] = useState<Method>('PCA');
  const [umapProgress, setUmapProgress] = useState<number>();
  const [selected, setSelected] = useState<Row>();
  const umapAllowed = (rows.data?.length ?? 0) <= UMAP_MAX_POINTS;

  useEffect(() => {
    if (!rows.data) return;
    const vectors = rows.data.map((r) => r.vector);
    setLayouts({ PCA: pca2(vectors) });
    if (vectors.length > UMAP_MAX_POINTS || vectors.length < 3) return;
    let current = true;
    umap2(vectors, (epoch, total) => current && setUmapProgress(epoch / total)).then((points) => {
      if (!current) return;
      setUmapProgress(undefined);
      setLayouts((l) => ({ ...l, UMAP: points }));
      setMethod('UMAP');
    });
    return () => {
      current = false;
    };
  }, [rows.data]);

  if (rows.error) return html`<${ErrorBox} error=${rows.error} retry=${rows.reload} />`;
  if (!rows.data) return html`<${ProgressBar} value=${read / Math.min(set.count ?? 1, MAP_MAX_POINTS)} label=${`Reading vectors… ${read} of ${set.count}`} />`;
  const points = layouts[method] ?? layouts.PCA;
  const shown = rows.data.length;
  return html`<div class="split-map">
    <div class="card">
      <div class="title-row">
        <h3 data-testid="map-method">${method} of ${shown} vectors (dim ${set.dim})</h3>
        <div class="toggle">
          <button type="button" class=${method === 'PCA' ? 'active' : ''} onClick=${() => setMethod('PCA')}>PCA</button>
          <button type="button" class=${method === 'UMAP' ? 'active' : ''} disabled=${!layouts.UMAP} onClick=${() => setMethod('UMAP')}
            title=${umapAllowed ? '' : `UMAP runs on sets of at most ${UMAP_MAX_POINTS} vectors`}>UMAP</button>
        </div>
        ${umapProgress !== undefined && html`<span class="muted">computing UMAP… ${Math.round(umapProgress * 100)}%</span>`}
        ${!umapAllowed && html`<span class="muted">UMAP only up to ${UMAP_MAX_POINTS} vectors: PCA shown</span>`}
        ${(set.count ?? 0) > shown && html`<span class="muted">first ${shown} of ${set.count} images</span>`}
      </div>
      ${points && html`<${ScatterMap} rows=${rows.data} points=${points} datasetId=${set.datasetId} method=${method} onPick=${setSelected} />`}
    </div>
    <div class="card neighbours">
      <h3>Nearest neighbours</h3>
      ${selected ? html`<${Neighbours} key=${selected.imageId} set=${set} row=${selected} />` : html`<p class="muted">Click an image on the map.</p>`}
    </div>
  </div>`;
}

/** Distance in pixels to the nearest point from the cursor that still counts as hovering it. */
const HOVER_PX = 12;

function ScatterMap({ rows, points, datasetId, method, onPick }: { rows: Row[]; points: Points2D; datasetId: string; method: Method; onPick: (r: Row) => void }) {
  const [hover, setHover] = useState<{ index: number; left: number; top: number }>();
  const hoverRef = useRef<number | undefined>(undefined);
  const { options, data, shape } = useMemo(() => {
    // uPlot wants ascending x: order the points by x, one series per label (null elsewhere)
    const order = points.map((_, i) => i).sort((a, b) => points[a][0] - points[b][0]);
    const labels = [...new Set(rows.map((r) => r.label ?? '(unlabeled)'))].sort();
    const x = order.map((i) => points[i][0]);
    const ys = labels.map((l) => order.map((i) => ((rows[i].label ?? '(unlabeled)') === l ? points[i][1] : null)));
    const nearest = (u: uPlot): number | undefined => {
      const { left, top } = u.cursor;
      if (left === undefined || top === undefined || left < 0) return undefined;
      let best: number | undefined;
      let bestD = HOVER_PX * HOVER_PX;
      for (let k = 0; k < order.length; k++) {
        const dx = u.valToPos(x[k], 'x') - left;
        const dy = u.valToPos(points[order[k]][1], 'y') - top;
        const d = dx * dx + dy * dy;
        if (d < bestD) {
          best = order[k];
          bestD = d;
        }
      }
      return best;
    };
    const options = {
      height: 460,
      scales: { x: { time: false } },
      axes: [{ label: `${method} 1` }, { label: `${method} 2`, size: 55 }],
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      legend: { live: false },
      series: [{ label: 'x' }, ...labels.map((l, i) => ({ label: l, stroke: colour(i), fill: colour(i), paths: () => null, points: { show: true, size: 6, fill: colour(i) } }))],
      hooks: {
        setCursor: [
          (u: uPlot) => {
            const index = nearest(u);
            hoverRef.current = index;
            setHover(index === undefined ? undefined : { index, left: u.cursor.left! + u.over.offsetLeft, top: u.cursor.top! + u.over.offsetTop });
          },
        ],
        ready: [
          (u: uPlot) =>
            u.over.addEventListener('click', () => {
              if (hoverRef.current !== undefined) onPick(rows[hoverRef.current]);
            }),
        ],
      },
    };
    return { options, data: [x, ...ys] as uPlot.AlignedData, shape: `${method}|${rows.length}` };
  }, [rows, points, method]);
  const row = hover && rows[hover.index];
  return html`<div class="map">
    <${Chart} name="embedding-map" options=${options} data=${data} shape=${shape} />
    ${row && html`<div class="tooltip" style=${{ left: `${hover!.left + 12}px`, top: `${hover!.top + 12}px` }}>
      <${Thumb} datasetId=${datasetId} imageId=${row.imageId} label=${row.label} />
    </div>`}
  </div>`;
}

function Neighbours({ set, row }: { set: EmbeddingSet; row: Row }) {
  const answer = useAsync(
    () => ok(api.GET('/v1/embeddings/{id}/neighbors', { params: { path: { id: set.id }, query: { imageId: row.imageId, k: 9 } } })),
    [set.id, row.imageId],
  );
  return html`<${Show} state=${answer} what="neighbours" render=${(a: { items: Array<{ imageId: string; label: string | null; similarity: number }> }) => html`
    <div class="grid small" data-testid="neighbours">
      ${a.items.map(
        (n, i) => html`<div class=${i === 0 ? 'query' : ''}>
          <${Thumb} datasetId=${set.datasetId} imageId=${n.imageId} label=${n.label} />
          <small>${i === 0 ? 'this image' : `cos ${fmt(n.similarity)}`}</small>
        </div>`,
      )}
    </div>`} />`;
}
