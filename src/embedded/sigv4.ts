// Verifies AWS Signature V4 on requests to the embedded S3 server, with the AWS SDK's own signer
// (@smithy/signature-v4): the request is rebuilt from what arrived, re-signed with the server's
// credentials at the request's own date, and the two signatures are compared. Both forms are
// checked: the Authorization header and presigned query parameters. The payload hash is taken as
// the client declared it (x-amz-content-sha256), as the SDK signs it; content is checked where it
// matters, by its sha256 address when an upload completes.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface IncomingS3Request {
  method: string;
  /** the request target as received: raw path and query */
  url: string;
  headers: IncomingHttpHeaders;
}

export type Verdict =
  | { ok: true; presigned: boolean; signedHeaders: Set<string>; query: Record<string, string> }
  | { ok: false; status: number; code: string; message: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGNED_SECONDS = 7 * 24 * 60 * 60;
export const AUTH_QUERY_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
];

/** node:crypto behind the Checksum interface the signer takes (an HMAC when given a secret). */
export class Sha256 implements Checksum {
  private hash;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }
  private create() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    this.hash = this.create();
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

const refuse = (status: number, code: string, message: string): Verdict => ({ ok: false, status, code, message });

/** `20261130T131100Z` → a Date, or undefined. */
function parseAmzDate(value: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The raw query split into decoded pairs; a repeated name or bad percent-encoding is refused. */
function parseQuery(raw: string): Record<string, string> | undefined {
  const query: Record<string, string> = {};
  if (!raw) return query;
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const at = pair.indexOf('=');
    try {
      const name = decodeURIComponent(at < 0 ? pair : pair.slice(0, at));
      const value = at < 0 ? '' : decodeURIComponent(pair.slice(at + 1));
      if (Object.hasOwn(query, name)) return undefined;
      query[name] = value;
    } catch {
      return undefined;
    }
  }
  return query;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function sameSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createSigV4Verifier(credentials: S3Credentials) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    region: credentials.region,
    service: 's3',
    sha256: Sha256,
    // S3 signs the path as sent, without a second encoding
    uriEscapePath: false,
    applyChecksum: false,
  });

  /** Checks Credential=<key>/<yyyymmdd>/<region>/s3/aws4_request against our key and the date. */
  function checkScope(credential: string | undefined, date: Date): Verdict | undefined {
    const [accessKeyId, day, region, service, terminator, ...rest] = (credential ?? '').split('/');
    if (rest.length || terminator !== 'aws4_request' || service !== 's3') return refuse(400, 'AuthorizationHeaderMalformed', 'malformed credential scope');
    if (accessKeyId !== credentials.accessKeyId) return refuse(403, 'InvalidAccessKeyId', 'the access key is not known here');
    if (region !== credentials.region) return refuse(400, 'AuthorizationHeaderMalformed', `the region must be ${credentials.region}`);
    if (day !== date.toISOString().slice(0, 10).replaceAll('-', '')) return refuse(400, 'AuthorizationHeaderMalformed', 'the scope date does not match the request date');
    return undefined;
  }

  /** The request the client signed: method, raw path, decoded query, and only the signed headers. */
  function rebuild(request: IncomingS3Request, path: string, query: Record<string, string>, signed: Set<string>) {
    const headers: Record<string, string> = {};
    for (const name of signed) {
      const value = headerValue(request.headers, name);
      if (value !== undefined) headers[name] = value;
    }
    return { method: request.method, protocol: 'http:', hostname: 'localhost', path, query, headers };
  }

  return async function verify(request: IncomingS3Request): Promise<Verdict> {
    const at = request.url.indexOf('?');
    const path = at < 0 ? request.url : request.url.slice(0, at);
    const query = parseQuery(at < 0 ? '' : request.url.slice(at + 1));
    if (!query) return refuse(400, 'InvalidArgument', 'the query string is malformed');
    const authorization = headerValue(request.headers, 'authorization');
    const presigned = 'X-Amz-Signature' in query || 'X-Amz-Algorithm' in query;
    if (authorization && presigned) return refuse(400, 'InvalidArgument', 'only one auth mechanism allowed');
    if (!authorization && !presigned) return refuse(403, 'AccessDenied', 'requests to this server must be signed (AWS Signature V4)');

    try {
      if (authorization) {
        const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(authorization.trim());
        if (!m) return refuse(400, 'AuthorizationHeaderMalformed', `the Authorization header must be ${ALGORITHM} with Credential, SignedHeaders and Signature`);
        const [, credential, signedList, signature] = m;
        const date = parseAmzDate(headerValue(request.headers, 'x-amz-date'));
        if (!date) return refuse(403, 'AccessDenied', 'x-amz-date is missing or malformed');
        if (Math.abs(Date.now() - date.getTime()) > MAX_CLOCK_SKEW_MS) return refuse(403, 'RequestTimeTooSkewed', 'the request time is too far from the server time');
        const scopeError = checkScope(credential, date);
        if (scopeError) return scopeError;
        const signed = new Set(signedList.split(';'));
        if (!signed.has('host')) return refuse(400, 'AuthorizationHeaderMalformed', 'the host header must be signed');
        const expected = await signer.sign(rebuild(request, path, query, signed), { signingDate: date, signableHeaders: signed });
        const expectedSignature = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1] ?? '';
        if (!sameSignature(expectedSignature, signature)) return refuse(403, 'SignatureDoesNotMatch', 'the request signature does not match');
        return { ok: true, presigned: false, signedHeaders: signed, query };
      }

      if (query['X-Amz-Algorithm'] !== ALGORITHM) return refuse(400, 'AuthorizationQueryParametersError', `X-Amz-Algorithm must be ${ALGORITHM}`);
      const date = parseAmzDate(query['X-Amz-Date']);
      const expires = Number(query['X-Amz-Expires']);
      const signature = query['X-Amz-Signature'] ?? '';
      if (!date || !/^\d{1,7}$/.test(query['X-Amz-Expires'] ?? '') || expires < 1 || expires > MAX_PRESIGNED_SECONDS || !/^[0-9a-f]{64}$/.test(signature)) {
        return refuse(400, 'AuthorizationQueryParametersError', 'X-Amz-Date, X-Amz-Expires or X-Amz-Signature is malformed');
      }
      if (date.getTime() - Date.now() > MAX_CLOCK_SKEW_MS) return refuse(403, 'RequestTimeTooSkewed', 'the request is dated in the future');
      if (Date.now() > date.getTime() + expires * 1000) return refuse(403, 'AccessDenied', 'request has expired');
      const scopeError = checkScope(query['X-Amz-Credential'], date);
      if (scopeError) return scopeError;
      const signed = new Set((query['X-Amz-SignedHeaders'] ?? '').split(';'));
      if (!signed.has('host')) return refuse(400, 'AuthorizationQueryParametersError', 'the host header must be signed');
      const unsigned = { ...query };
      delete unsigned['X-Amz-Signature'];
      const rebuilt = rebuild(request, path, unsigned, signed);
      // presigned S3 URLs carry an unsigned payload; the header only tells the signer so
      rebuilt.headers['x-amz-content-sha256'] ??= 'UNSIGNED-PAYLOAD';
      const expected = await signer.presign(rebuilt, {
        signingDate: date,
        expiresIn: expires,
        signableHeaders: signed,
        unsignableHeaders: signed.has('x-amz-content-sha256') ? undefined : new Set(['x-amz-content-sha256']),
        unhoistableHeaders: new Set(Object.keys(rebuilt.headers)),
      });
      if (!sameSignature(String(expected.query?.['X-Amz-Signature'] ?? ''), signature)) {
        return refuse(403, 'SignatureDoesNotMatch', 'the request signature does not match');
      }
      return { ok: true, presigned: true, signedHeaders: signed, query };
    } catch {
      return refuse(403, 'SignatureDoesNotMatch', 'the request signature could not be verified');
    }
  };
}
