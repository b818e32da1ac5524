// A training job and its linear probe through the public API: start, poll until finished (feeding
// the progress board), read the metric series; request a probe and poll its evaluation.
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
  status: string;
  baselines: Partial<Record<'raw-pixels' | 'random-init', ProbeScores & { featureDim: number }>> | null;
  details: Record<string, number> | null;
  timings: Record<string, number> | null;
  error: { code: string; message: string } | null;
}

export async function linearProbe(
  service: Service,
  jobId: string,
  body: { trainDatasetId: string; testDatasetId: string; baselines: string[] },
): Promise<EvaluationView> {
  let evaluation = await requestJson<EvaluationView>(`${service.url}/v1/jobs/${jobId}/linear-probe`, service.apiKey, 'POST', body);
  while (evaluation.status === 'queued' || evaluation.status === 'running') {
    await sleep(POLL_MS);
    evaluation = await requestJson<EvaluationView>(`${service.url}/v1/evaluations/${evaluation.id}`, service.apiKey, 'GET');
  }
  if (evaluation.status !== 'succeeded') throw new Error(`linear probe ${evaluation.id} of job ${jobId} ${evaluation.status}: ${JSON.stringify(evaluation.error)}`);
  return evaluation;
}
