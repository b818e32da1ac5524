// The CLI's side of the wire: the typed client for JSON calls, fetch for streamed downloads,
// node:http for streamed uploads, and every failure (an {error: {code, message}} answer, an
// unreachable host) turned into a CliError whose exit code says what went wrong.
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** A signed GET whose body the caller streams; a non-2xx answer throws. */
export async function send(conn: Connection, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('Authorization', `Bearer ${conn.key}`);
  let response: Response;
  try {
    response = await fetch(`${conn.url}${path}`, { ...init, headers });
  } catch (err) {
    throw unreachable(conn.url, err);
  }
  if (!response.ok) throw apiError(response.status, parseJson(await response.text().catch(() => '')));
  return response;
}

/**
 * POSTs a streamed body and resolves to the JSON answer. node:http rather than fetch: the service may
 * answer (a refused archive, a limit) and close before the body is sent; fetch then reports only the
 * broken pipe, node:http delivers the answer whenever it arrived before the pipe broke.
 */
export function postStream(conn: Connection, path: string, contentType: string, body: AsyncIterable<Uint8Array>): Promise<unknown> {
  const url = new URL(`${conn.url}${path}`);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, { method: 'POST', headers: { Authorization: `Bearer ${conn.key}`, 'Content-Type': contentType } });
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (err) => reject(unreachable(conn.url, { cause: err })));
      response.on('end', () => {
        const answer = parseJson(Buffer.concat(chunks).toString('utf8'));
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(answer);
        else reject(apiError(status, answer));
      });
    });
    let sent = false;
    request.on('socket', (socket) => socket.once('connect', () => (sent = true)));
    request.on('error', (err: NodeJS.ErrnoException) => {
      if (answered) return;
      // the service refused mid-body and closed; its answer was lost with the connection
      if (sent && (err.code === 'EPIPE' || err.code === 'ECONNRESET')) {
        reject(new CliError(EXIT.server, 'UPLOAD_INTERRUPTED', `${conn.url} closed the connection during the upload (it stops reading an archive it refuses, e.g. one over its size or entry limits)`));
      } else reject(unreachable(conn.url, { cause: err }));
    });
    // a failed send surfaces as the answer or as the request's error, above
    pipeline(Readable.from(body), request).catch(() => {});
  });
}
