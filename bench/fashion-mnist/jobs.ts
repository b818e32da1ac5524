// A training job and what follows it, through the public API: start, poll until finished (feeding
// the progress board), read the metric series; a linear probe; embeddings downloaded as .npy.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { requestJson } from './http.ts';
import { progressLine, type JobProgress, type ProgressBoard } from './progress.ts';
import type { Service } from './service.ts';

const POLL_MS = 2000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface JobView {
  id: string;
  status: string;
  config: Record<string, unknown>;
  progress: (JobProgress & Record<string, unknown>) | null;
  error: { code: string; message: string } | null;
  backend: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface MetricPoint {
  epoch: number;
  step: number;
  values: Record<string, number | boolean | null>;
}

export interface FinishedJob {
  job: JobView;
  metrics: MetricPoint[];
  /** the worker's training time: startedAt -> finishedAt */
  wallSeconds: number;
}

export async function startJob(service: Service, datasetId: string, config: Record<string, unknown>): Promise<JobView> {
  return requestJson<JobView>(`${service.url}/v1/jobs`, service.apiKey, 'POST', { datasetId, config });
}

/** The whole metric series, page by page. */
async function allMetrics(service: Service, jobId: string): Promise<MetricPoint[]> {
  const points: MetricPoint[] = [];
  let since: number | null | undefined;
  do {
    const page = await requestJson<{ items: MetricPoint[]; nextSince: number | null }>(
      `${service.url}/v1/jobs/${jobId}/metrics?limit=5000${since === undefined ? '' : `&since=${since}`}`,
      service.apiKey,
      'GET',
    );
    points.push(...page.items);
    since = page.nextSince;
  } while (since !== null);
  return points;
}

export async function followJob(service: Service, jobId: string, name: string, board: ProgressBoard): Promise<FinishedJob> {
  for (;;) {
    const job = await requestJson<JobView>(`${service.url}/v1/jobs/${jobId}`, service.apiKey, 'GET');
    const line = progressLine(name, job.status, job.progress ?? {});
    if (job.status === 'queued' || job.status === 'running') {
      board.update(name, line);
      await sleep(POLL_MS);
      continue;
    }
    board.finish(name, line);
    if (job.status !== 'succeeded') throw new Error(`job ${jobId} (${name}) ${job.status}: ${JSON.stringify(job.error)}`);
    const wallSeconds = (Date.parse(job.finishedAt!) - Date.parse(job.startedAt!)) / 1000;
    return { job, metrics: await allMetrics(service, jobId), wallSeconds };
  }
}

export interface ProbeScores {
  top1: number;
  top5: number;
  knnTop1: number | null;
}

export interface EvaluationView extends Partial<ProbeScores> {
  id: string;
  trainTop1?: number | null;
  recipe?: Record<string, unknown> | null;
  status: string;
  baselines: Partial<Record<'raw-pixels' | 'random-init', ProbeScores & { featureDim: number }>> | null;
  details: Record<string, number> | null;
  timings: Record<string, number> | null;
  error: { code: string; message: string } | null;
}

/** Polls a probe or embedding task until it finishes; throws unless it succeeded. */
async function untilDone<T extends { id: string; status: string; error: unknown }>(service: Service, first: T, path: string, what: string): Promise<T> {
  let task = first;
  while (task.status === 'queued' || task.status === 'running') {
    await sleep(POLL_MS);
    task = await requestJson<T>(`${service.url}/v1/${path}/${task.id}`, service.apiKey, 'GET');
  }
  if (task.status !== 'succeeded') throw new Error(`${what} ${task.id} ${task.status}: ${JSON.stringify(task.error)}`);
  return task;
}

export async function linearProbe(
  service: Service,
  jobId: string,
  // a train and a test dataset, or one dataset split by the service
  // trainLabels: the probes (and the kNN bank) train on a seeded subset of that many labeled images
  body: ({ trainDatasetId: string; testDatasetId: string } | { datasetId: string; splitFraction: number; seed: number }) & { baselines: string[]; trainLabels?: number },
): Promise<EvaluationView> {
  const first = await requestJson<EvaluationView>(`${service.url}/v1/jobs/${jobId}/linear-probe`, service.apiKey, 'POST', body);
  return untilDone(service, first, 'evaluations', `linear probe of job ${jobId}`);
}

export interface EmbeddingSetView {
  id: string;
  status: string;
  count: number | null;
  dim: number | null;
  error: { code: string; message: string } | null;
}

/** Frozen-backbone embeddings of `datasetId`, downloaded as .npy to `file`. */
export async function downloadEmbeddings(service: Service, jobId: string, datasetId: string, file: string): Promise<EmbeddingSetView> {
  const first = await requestJson<EmbeddingSetView>(`${service.url}/v1/jobs/${jobId}/embeddings`, service.apiKey, 'POST', { datasetId });
  const set = await untilDone(service, first, 'embeddings', `embeddings of job ${jobId}`);
  const res = await fetch(`${service.url}/v1/embeddings/${set.id}/vectors?format=npy`, { headers: { Authorization: `Bearer ${service.apiKey}` } });
  if (!res.ok || !res.body) throw new Error(`GET embeddings ${set.id} vectors: ${res.status} ${await res.text()}`);
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), fs.createWriteStream(file));
  return set;
}
