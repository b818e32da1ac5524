// The only way into the embedded s3rver: an HTTP handler that lets a request through only when its
// SigV4 signature verifies (src/embedded/sigv4.ts). s3rver serves any request without a signature
// as anonymous and checks V4 signatures only in part, so it never sees the network itself: the
// guard hands verified requests to its request handler in the same process, with the credentials
// removed and any x-amz-* header the client did not sign dropped (an unsigned x-amz-copy-source
// would turn a presigned PUT into a copy of someone else's object).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { AUTH_QUERY_PARAMS, type Verdict } from './sigv4.ts';

export interface GuardOptions {
  /** the most a presigned PUT or POST may send */
  maxPresignedUploadBytes: number;
}

function sendError(res: ServerResponse, status: number, code: string, message: string) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message.replace(/[<&>]/g, '')}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

/** The request target without the signature parameters, everything else byte for byte. */
function withoutAuthParams(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const kept = url
    .slice(at + 1)
    .split('&')
    .filter((pair) => pair && !AUTH_QUERY_PARAMS.includes(decodeURIComponent(pair.split('=')[0]!)));
  return kept.length ? `${url.slice(0, at)}?${kept.join('&')}` : url.slice(0, at);
}

/** Refuses a presigned upload with no declared length or one over the bound, before any byte is stored. */
function presignedUploadError(req: IncomingMessage, max: number): [number, string, string] | undefined {
  if (req.method !== 'PUT' && req.method !== 'POST') return undefined;
  const length = req.headers['content-length'];
  if (length === undefined || req.headers['transfer-encoding']) return [411, 'MissingContentLength', 'a presigned upload must send Content-Length'];
  if (Number(length) > max) return [400, 'EntityTooLarge', `a presigned upload may send at most ${max} bytes`];
  return undefined;
}

export function s3Guard(
  handler: RequestListener,
  verify: (request: { method: string; url: string; headers: IncomingMessage['headers'] }) => Promise<Verdict>,
  options: GuardOptions,
): RequestListener {
  return (req, res) => {
    void (async () => {
      const verdict = await verify({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
      if (!verdict.ok) return sendError(res, verdict.status, verdict.code, verdict.message);
      if (verdict.presigned) {
        const refused = presignedUploadError(req, options.maxPresignedUploadBytes);
        if (refused) return sendError(res, ...refused);
      }
      delete req.headers.authorization;
      for (const name of Object.keys(req.headers)) {
        if (name.startsWith('x-amz-') && !verdict.signedHeaders.has(name)) delete req.headers[name];
      }
      req.url = withoutAuthParams(req.url ?? '/');
      handler(req, res);
    })().catch(() => {
      if (!res.headersSent) sendError(res, 500, 'InternalError', 'the request could not be checked');
      else res.destroy();
    });
  };
}
