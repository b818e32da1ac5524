// Small shared pieces: loading and error states, async data as a hook, signed thumbnails.
import { useEffect, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { ApiError, signedObjectUrl } from './api.ts';

export function Loading({ what }: { what: string }) {
  return html`<p class="loading" role="status"><span class="spinner"></span>Loading ${what}…</p>`;
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  const code = error instanceof ApiError ? error.failure.code : 'ERROR';
  const message = error instanceof ApiError ? error.failure.message : String((error as Error)?.message ?? error);
  return html`<div class="error" role="alert">
    <strong>${code}</strong> ${message}
    ${retry && html` <button type="button" onClick=${retry}>Retry</button>`}
  </div>`;
}

export interface Async<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change; the latest answer wins. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ data: s.data, loading: true }));
    load().then(
      (data) => current && setState({ data, loading: false }),
      (error) => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** Renders async data: a loading line first, an error box with retry, then `render(data)`. */
export function Show<T>({ state, what, render }: { state: Async<T>; what: string; render: (data: T) => unknown }) {
  if (state.error) return html`<${ErrorBox} error=${state.error} retry=${state.reload} />`;
  if (state.data === undefined) return html`<${Loading} what=${what} />`;
  return render(state.data);
}

/** An image's thumbnail, fetched with the API key (an <img src> cannot send it). */
export function Thumb({ datasetId, imageId, label, size = 96 }: { datasetId: string; imageId: string; label?: string | null; size?: number }) {
  const [url, setUrl] = useState<string>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let objectUrl: string | undefined;
    let current = true;
    signedObjectUrl(`/v1/datasets/${datasetId}/images/${imageId}/thumbnail?size=${size}`).then(
      (u) => (current ? setUrl((objectUrl = u)) : URL.revokeObjectURL(u)),
      () => current && setFailed(true),
    );
    return () => {
      current = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [datasetId, imageId, size]);
  return html`<figure class="thumb" data-image-id=${imageId}>
    ${url ? html`<img src=${url} alt=${label ?? 'unlabeled image'} />` : html`<div class="thumb-placeholder">${failed ? '!' : ''}</div>`}
    ${label !== undefined && html`<figcaption>${label ?? '—'}</figcaption>`}
  </figure>`;
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  return html`<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${Math.round(value * 100)}>
    <div class="progress-fill" style=${{ width: `${Math.min(100, value * 100).toFixed(1)}%` }}></div>
    <span class="progress-label">${label}</span>
  </div>`;
}
