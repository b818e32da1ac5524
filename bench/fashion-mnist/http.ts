// The service's HTTP API as the benchmark sees it: JSON requests with the API key, and archives
// streamed from disk (never held in memory: the full training set is ~30 MB, the budget is the API's).
import fs from 'node:fs';
import http from 'node:http';

const RETRY_MS = 3000;
const RETRY_FOR_MS = 5 * 60_000;

/**
 * Network failures are retried for a few minutes (a restarting service: see service.ts): a refused
 * connection for any method, since the request never reached the server and even a POST cannot
 * happen twice; anything else (a reset keep-alive socket) only for a GET.
 */
function retryable(err: unknown, method: string): boolean {
  if (!(err instanceof TypeError)) return false; // fetch's network failure; HTTP errors are answers
  return (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED' || method === 'GET';
}

async function fetchRetrying(url: string, init: RequestInit & { method: string }): Promise<Response> {
  const deadline = Date.now() + RETRY_FOR_MS;
  for (;;) {
    try {
      return await fetch(url, init);
    } catch (err) {
      if (!retryable(err, init.method) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

export async function requestJson<T = Record<string, unknown>>(url: string, apiKey: string, method: string, body?: unknown): Promise<T> {
  const res = await fetchRetrying(url, {
    method,
    headers: { Authorization: `Bearer ${apiKey}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<T>;
}

/** Streams `file` as a gzip request body; resolves with the status and parsed response. */
export function postFile(url: string, apiKey: string, file: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/gzip', 'Content-Length': fs.statSync(file).size },
    });
    req.on('response', async (res) => {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      try {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) });
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
    fs.createReadStream(file).pipe(req);
  });
}
