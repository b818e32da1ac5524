// A job's updates as the service pushes them: the GraphQL subscription jobUpdated over WebSocket
// (graphql-transport-ws at /graphql, the key in connection_init). It yields the job now, then after
// each change, and ends once the job is finished or `signal` aborts.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Connection } from './api.ts';
import { CliError, EXIT } from './exitCodes.ts';
import type { JobProgress } from './jobProgress.ts';

const SUBSCRIPTION = `subscription($id: ID!) { jobUpdated(id: $id) { id status progress error { code message } } }`;

export interface JobUpdate {
  id: string;
  status: string;
  progress: JobProgress | null;
  error: { code: string; message: string } | null;
}

const AUTH_CODES = new Set(['UNAUTHENTICATED', 'INVALID_API_KEY', 'API_KEY_EXPIRED', 'INSUFFICIENT_SCOPE']);

function graphqlFailure(error: { message: string; extensions?: Record<string, unknown> }): CliError {
  const code = String(error.extensions?.code ?? 'GRAPHQL_ERROR');
  const exit = AUTH_CODES.has(code) ? EXIT.auth : code.endsWith('_NOT_FOUND') ? EXIT.notFound : EXIT.server;
  return new CliError(exit, code, error.message);
}

/** A socket that closed or never opened (graphql-ws rejects with the CloseEvent or the Error). */
function connectionFailure(url: string, err: unknown): CliError {
  if (err instanceof CliError) return err;
  const reason = err instanceof Error ? err.message : `closed with code ${(err as { code?: number }).code ?? '?'} ${(err as { reason?: string }).reason ?? ''}`;
  return new CliError(EXIT.server, 'NETWORK_ERROR', `lost the job feed from ${url}: ${reason.trim()}`);
}

export async function* jobFeed(conn: Connection, jobId: string, signal: AbortSignal): AsyncGenerator<JobUpdate> {
  const url = `${conn.url.replace(/^http/, 'ws')}/graphql`;
  // a dropped socket is retried; graphql-ws subscribes again and the service pushes the job anew
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${conn.key}` }, retryAttempts: 5, lazy: true });
  const updates = client.iterate<{ jobUpdated: JobUpdate }>({ query: SUBSCRIPTION, variables: { id: jobId } });
  const aborted = new Promise<'aborted'>((resolve) => {
    if (signal.aborted) resolve('aborted');
    signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  try {
    for (;;) {
      const next = await Promise.race([updates.next(), aborted]).catch((err: unknown) => {
        throw connectionFailure(url, err);
      });
      if (next === 'aborted' || next.done) return;
      const first = next.value.errors?.[0];
      if (first) throw graphqlFailure(first as { message: string; extensions?: Record<string, unknown> });
      yield next.value.data!.jobUpdated;
    }
  } finally {
    // not awaited: completing over a dead socket would wait for it; dispose closes it anyway
    void updates.return?.().catch(() => {});
    await client.dispose();
  }
}
