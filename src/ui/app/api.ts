// The page's two channels to the service, both signed with the stored API key: the typed REST
// client (src/client, shared with the CLI) and GraphQL (queries over HTTP, subscriptions
// over graphql-ws, the key in connection_init since browsers cannot set WebSocket headers).
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { createClient } from '../../client/index.ts';
import { storedKey } from './session.ts';

export const authorization = () => `Bearer ${storedKey() ?? ''}`;

export const api = createClient(location.origin, () => storedKey() ?? undefined);

export interface ApiFailure {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

/** The `{error: {code, message}}` body as an Error, so components show one kind of failure. */
export class ApiError extends Error {
  constructor(readonly failure: ApiFailure) {
    super(`${failure.code}: ${failure.message}`);
  }
}

/** Unwraps an openapi-fetch answer: the data, or an ApiError with the service's code. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const body = (error ?? {}) as { error?: { code?: string; message?: string; details?: unknown } };
  throw new ApiError({
    status: response.status,
    code: body.error?.code ?? `HTTP_${response.status}`,
    message: body.error?.message ?? response.statusText,
    details: body.error?.details,
  });
}

/** A GraphQL query over HTTP; GraphQL errors become an ApiError with the first error's code. */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', Authorization: authorization() },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  const first = body.errors?.[0];
  if (first) throw new ApiError({ status: response.status, code: first.extensions?.code ?? 'GRAPHQL_ERROR', message: first.message });
  return body.data as T;
}

let ws: WsClient | undefined;

/** One WebSocket per page, opened on first use and re-signed after a new login. */
export function subscriptions(): WsClient {
  ws ??= createWsClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: () => ({ Authorization: authorization() }),
    lazy: true,
    retryAttempts: 5,
  });
  return ws;
}

export function closeSubscriptions(): void {
  void ws?.dispose();
  ws = undefined;
}

/** Fetches a signed binary (thumbnails, checkpoints) and hands back an object URL for it. */
export async function signedObjectUrl(path: string): Promise<string> {
  const response = await fetch(path, { headers: { Authorization: authorization() } });
  if (!response.ok) throw new ApiError({ status: response.status, code: `HTTP_${response.status}`, message: `GET ${path} failed` });
  return URL.createObjectURL(await response.blob());
}
