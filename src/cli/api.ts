// The CLI's side of the wire: the typed client for JSON calls, plain fetch for streamed bodies, and
// every failure (an {error: {code, message}} answer, an unreachable host) turned into a CliError
// whose exit code says what went wrong.
import { createClient, type ServiceClient } from '../client/index.ts';
import { CliError, EXIT, exitCodeForStatus } from './exitCodes.ts';
import type { Profile } from './profiles.ts';

export interface Connection {
  url: string;
  key: string;
  client: ServiceClient;
}

export const normalizeUrl = (url: string) => url.replace(/\/+$/, '');

export function connect(profile: Profile): Connection {
  const url = normalizeUrl(profile.url);
  return { url, key: profile.key, client: createClient(url, profile.key) };
}

function unreachable(url: string, err: unknown): CliError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (err as Error).message;
  return new CliError(EXIT.server, 'NETWORK_ERROR', `cannot reach ${url}: ${reason}`);
}

/** The service's {error: {code, message, details}} as a CliError; any other body by its status. */
export function apiError(status: number, body: unknown): CliError {
  const error = (body as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
  return new CliError(exitCodeForStatus(status), error?.code ?? `HTTP_${status}`, error?.message ?? `the service answered ${status}`, error?.details);
}

/** Awaits an openapi-fetch call: its data, or the CliError for its failure. */
export async function unwrap<T>(conn: Connection, call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let answer: Awaited<typeof call>;
  try {
    answer = await call;
  } catch (err) {
    throw unreachable(conn.url, err);
  }
  if (!answer.response.ok) throw apiError(answer.response.status, answer.error);
  return answer.data as T;
}

/** A signed fetch for streamed uploads and downloads; a non-2xx answer throws. */
export async function send(conn: Connection, path: string, init: RequestInit & { duplex?: 'half' } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('Authorization', `Bearer ${conn.key}`);
  let response: Response;
  try {
    response = await fetch(`${conn.url}${path}`, { ...init, headers });
  } catch (err) {
    throw unreachable(conn.url, err);
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    throw apiError(response.status, body);
  }
  return response;
}
