// A job followed live: its metric history read once over REST, then the job pushed over the
// GraphQL subscription (status, progress, the newest metric points, checkpoints) until it is
// finished. Nothing is polled.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, ok, subscriptions } from './api.ts';
import { mergePoints, type MetricPoint } from './series.ts';

export interface Checkpoint {
  id: string;
  epoch: number;
  step: number;
  sizeBytes: number;
  isFinal: boolean;
  createdAt: string;
}

export interface LiveJob {
  id: string;
  status: string;
  datasetId: string;
  config: Record<string, unknown>;
  progress: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  cancelRequestedAt: string | null;
  backend: string | null;
  createdAt: string;
  checkpoints: Checkpoint[];
  metrics: MetricPoint[];
}

export interface Feed {
  job?: LiveJob;
  points: MetricPoint[];
  /** true while the subscription is open */
  live: boolean;
  /** how many pushes arrived (the browser tests watch it) */
  pushes: number;
  error?: unknown;
}

// newest points with each push: enough to cover the reports between two pushes
const PUSHED_POINTS = 50;

const SUBSCRIPTION = `subscription($id: ID!) { jobUpdated(id: $id) {
  id status datasetId config progress error { code message } cancelRequestedAt backend createdAt
  checkpoints { id epoch step sizeBytes isFinal createdAt }
  metrics(last: ${PUSHED_POINTS}) { epoch step values }
} }`;

/** graphql-ws reports an operation's failure as GraphQL errors (an array), a close event or an Error. */
function asError(error: unknown): unknown {
  const first = Array.isArray(error) ? (error[0] as { message?: string; extensions?: { code?: string } } | undefined) : undefined;
  if (first) return new ApiError({ status: 0, code: first.extensions?.code ?? 'GRAPHQL_ERROR', message: first.message ?? 'subscription failed' });
  if (error instanceof Error) return error;
  return new Error('the live connection closed');
}

async function history(id: string): Promise<MetricPoint[]> {
  let points: MetricPoint[] = [];
  let since: number | undefined;
  for (;;) {
    const page = await ok(api.GET('/v1/jobs/{id}/metrics', { params: { path: { id }, query: { since, limit: 5000 } } }));
    points = mergePoints(points, page.items as MetricPoint[]);
    if (page.nextSince === null || page.nextSince === undefined) return points;
    since = page.nextSince;
  }
}

function follow(id: string, update: (change: (feed: Feed) => Feed) => void): () => void {
  let stopped = false;
  let unsubscribe: (() => void) | undefined;
  history(id).then(
    (points) => {
      if (stopped) return;
      update((f) => ({ ...f, points: mergePoints(points, f.points), live: true }));
      unsubscribe = subscriptions().subscribe<{ jobUpdated: LiveJob }>(
        { query: SUBSCRIPTION, variables: { id } },
        {
          next: ({ data, errors }) => {
            if (errors?.length) return update((f) => ({ ...f, error: asError(errors) }));
            const job = data!.jobUpdated;
            update((f) => ({ ...f, job, points: mergePoints(f.points, job.metrics), pushes: f.pushes + 1 }));
          },
          error: (error) => update((f) => ({ ...f, live: false, error: asError(error) })),
          complete: () => update((f) => ({ ...f, live: false })),
        },
      );
    },
    (error) => update((f) => ({ ...f, error })),
  );
  return () => {
    stopped = true;
    unsubscribe?.();
  };
}

/** Live feeds for the given jobs, keyed by id. */
export function useJobFeeds(ids: string[]): Record<string, Feed> {
  const [feeds, setFeeds] = useState<Record<string, Feed>>({});
  const key = ids.join(',');
  useEffect(() => {
    setFeeds(Object.fromEntries(ids.map((id) => [id, { points: [], live: false, pushes: 0 }])));
    const stops = ids.map((id) => follow(id, (change) => setFeeds((all) => ({ ...all, [id]: change(all[id] ?? { points: [], live: false, pushes: 0 }) }))));
    return () => stops.forEach((stop) => stop());
  }, [key]);
  return feeds;
}
