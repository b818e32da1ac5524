// One dataset = one POST /v1/datasets + one streamed archive upload.
import { postFile, requestJson } from './http.ts';
import type { Service } from './service.ts';

export interface UploadedDataset {
  id: string;
  name: string;
  added: number;
  duplicates: unknown;
  seconds: number;
}

export async function uploadDataset(service: Service, name: string, archive: string): Promise<UploadedDataset> {
  const dataset = await requestJson<{ id: string }>(`${service.url}/v1/datasets`, service.apiKey, 'POST', { name });
  const started = performance.now();
  const res = await postFile(`${service.url}/v1/datasets/${dataset.id}/archive`, service.apiKey, archive);
  if (res.status >= 300) throw new Error(`uploading ${archive}: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: dataset.id, name, added: Number(res.body.added), duplicates: res.body.duplicates, seconds: (performance.now() - started) / 1000 };
}
