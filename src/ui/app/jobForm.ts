// The new-job form, built from the training config schema in the service's OpenAPI document:
// method and backbone pickers first, then every other field with its default filled in.
// Only fields changed from their default are sent; the job echoes the full config back.
import { useEffect, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { api, ok } from './api.ts';
import { ErrorBox, Show, useAsync } from './components.ts';
import { configFrom, fieldsFor, fieldsOf, trainingConfigMethods, type Field, type MethodSchema } from './schemaForm.ts';
import { go } from './route.ts';
import { ApiError } from './api.ts';

const PICKERS = ['backbone'];

async function loadForm() {
  const response = await fetch('/docs/json');
  if (!response.ok) throw new Error(`the OpenAPI document did not load (HTTP ${response.status})`);
  const doc = await response.json();
  const methods = trainingConfigMethods(doc).map((m) => ({ ...m, fields: fieldsOf(doc, m.schema) }));
  const datasets = await ok(api.GET('/v1/datasets', { params: { query: { limit: 100 } } }));
  return { methods, datasets: datasets.items };
}

type MethodForm = MethodSchema & { fields: Field[] };

function defaults(fields: Field[], out: Record<string, unknown> = {}) {
  for (const f of fields) {
    if (f.children) defaults(f.children, out);
    else if (f.default !== undefined) out[f.path] = f.default;
  }
  return out;
}

export function JobForm({ datasetId }: { datasetId?: string }) {
  const form = useAsync(loadForm, []);
  return html`<div class="card">
    <h2>New training job</h2>
    <${Show} state=${form} what="the config schema" render=${(f: Awaited<ReturnType<typeof loadForm>>) => html`<${ConfigForm} ...${f} datasetId=${datasetId} />`} />
  </div>`;
}

function ConfigForm({ methods, datasets, datasetId }: { methods: MethodForm[]; datasets: Array<{ id: string; name: string }>; datasetId?: string }) {
  const [method, setMethod] = useState(methods[0]);
  const [values, setValues] = useState<Record<string, unknown>>(() => defaults(method.fields));
  // fields of other backbones are neither shown nor sent
  const fields = fieldsFor(method.fields, values.backbone);
  const pickMethod = (name: string) => {
    const next = methods.find((m) => m.method === name)!;
    setMethod(next);
    setValues(defaults(next.fields));
  };
  const [dataset, setDataset] = useState(datasetId ?? datasets[0]?.id ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => setDataset(datasetId ?? datasets[0]?.id ?? ''), [datasetId]);
  const set = (path: string, value: unknown) => setValues((v) => ({ ...v, [path]: value }));
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const config = { ...(method.named && { method: method.method }), ...configFrom(fields, values) } as never;
      const job = await ok(api.POST('/v1/jobs', { body: { datasetId: dataset, config } }));
      go(`#/jobs/${job.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const pickers = PICKERS.map((name) => fields.find((f) => f.name === name)).filter((f): f is Field => !!f);
  const rest = fields.filter((f) => !PICKERS.includes(f.name));
  const details = error instanceof ApiError && Array.isArray(error.failure.details) ? (error.failure.details as Array<{ field?: string; message?: string }>) : [];
  return html`<form class="job-form" onSubmit=${submit}>
    <div class="pickers">
      <label>Dataset
        <select name="datasetId" required value=${dataset} onChange=${(e: Event) => setDataset((e.target as HTMLSelectElement).value)}>
          ${datasets.map((d) => html`<option value=${d.id}>${d.name}</option>`)}
        </select>
      </label>
      <label>Method
        <select name="method" value=${method.method} onChange=${(e: Event) => pickMethod((e.target as HTMLSelectElement).value)}>
          ${methods.map((m) => html`<option value=${m.method}>${m.method}</option>`)}
        </select>
        <small>${methods.length === 1 ? 'the one method the config schema offers' : `${methods.length} methods in the config schema`}</small>
      </label>
      ${pickers.map((f) => html`<${Input} field=${f} value=${values[f.path]} set=${set} />`)}
    </div>
    <div class="fields">${rest.filter((f) => !f.children).map((f) => html`<${Input} field=${f} value=${values[f.path]} set=${set} />`)}</div>
    ${rest.filter((f) => f.children).map(
      (f) => html`<details><summary>${f.name}</summary><div class="fields">${f.children!.map((c) => html`<${Input} field=${c} value=${values[c.path]} set=${set} />`)}</div></details>`,
    )}
    <div class="row">
      <button type="submit" disabled=${busy || !dataset}>${busy ? 'Starting…' : 'Start training'}</button>
      ${!datasets.length && html`<span class="muted">Create a dataset first.</span>`}
    </div>
    ${error && html`<${ErrorBox} error=${error} />`}
    ${details.length > 0 && html`<ul class="error-details">${details.map((d) => html`<li>${d.field ?? ''} ${d.message ?? JSON.stringify(d)}</li>`)}</ul>`}
  </form>`;
}

function Input({ field, value, set }: { field: Field; value: unknown; set: (path: string, value: unknown) => void }) {
  const hint = field.default !== undefined ? `default ${String(field.default)}` : field.description ?? 'optional';
  const bounds = field.min !== undefined || field.max !== undefined ? ` (${field.min ?? ''}–${field.max ?? ''})` : '';
  if (field.kind === 'boolean') {
    return html`<label class="inline" title=${field.description ?? ''}>
      <input type="checkbox" name=${field.path} checked=${value === true} onChange=${(e: Event) => set(field.path, (e.target as HTMLInputElement).checked)} />
      ${field.name} <small>${hint}</small>
    </label>`;
  }
  if (field.kind === 'enum') {
    return html`<label title=${field.description ?? ''}>${field.name}
      <select name=${field.path} value=${String(value ?? '')} onChange=${(e: Event) => {
        const raw = (e.target as HTMLSelectElement).value;
        set(field.path, field.choices!.find((c) => String(c) === raw));
      }}>${field.choices!.map((c) => html`<option value=${String(c)}>${String(c)}</option>`)}</select>
      <small>${hint}</small>
    </label>`;
  }
  return html`<label title=${field.description ?? ''}>${field.name}
    <input type="number" name=${field.path} step=${field.kind === 'integer' ? 1 : 'any'} min=${field.min} max=${field.max}
      value=${value === undefined ? '' : String(value)}
      onInput=${(e: Event) => {
        const raw = (e.target as HTMLInputElement).value;
        set(field.path, raw === '' ? undefined : Number(raw));
      }} />
    <small>${hint}${bounds}</small>
  </label>`;
}
